# azd post-deploy hook for Windows: the same steps as postdeploy.sh, whose header says why each exists. Makes
# the key in each notification URL the function-specific key "graphNotify" of its webhook function (never a
# host key; a different existing "graphNotify" is never replaced), then deletes the function's auto-created
# "default" key. Keys are read through the management API; an answer that is not a key list is retried.
trap { Exit-WithMessage $_ }
. (Join-Path $PSScriptRoot 'lib.ps1')
$keyName = 'graphNotify'

# The keys of FUNCTION as a name-to-value hashtable. The API answers a flat name-to-value object; an answer
# shaped like the SDK's StringDictionary ({ properties: {...} }) is read too. $null (retried) for anything else.
function Get-FunctionKeys([string] $Function) {
  $answer = ConvertFrom-JsonText (Invoke-Arm 'post' "/functions/$Function/listkeys?api-version=$webApi")
  if ($null -eq $answer -or $answer -isnot [Management.Automation.PSCustomObject]) { return $null }
  $source = $answer
  if ($answer.PSObject.Properties.Name -contains 'properties') { $source = $answer.properties }
  if ($null -eq $source) { return $null }
  $keys = @{}
  foreach ($property in $source.PSObject.Properties) {
    if ($property.Value -is [string] -and @('id', 'name', 'type', 'kind', 'location') -notcontains $property.Name) {
      $keys[$property.Name] = $property.Value
    }
  }
  # A one-element array, so an empty key list is not $null.
  return , $keys
}

# Makes the key in the URL stored as SECRET a function-specific key of FUNCTION.
function Install-Key([string] $Secret, [string] $Function) {
  $url = Invoke-WithRetry "az keyvault secret show $Secret" {
    $stored = ConvertFrom-JsonText (Invoke-Az @('keyvault', 'secret', 'show', '--vault-name', $vault, '--name', $Secret,
        '--subscription', $sub, '--output', 'json'))
    if ($null -eq $stored -or -not ([string] $stored.value).Contains('?code=')) { return $null }
    return [string] $stored.value
  }
  $key = $url.Substring($url.LastIndexOf('code=') + 'code='.Length)
  $keys = Invoke-WithRetry "list the keys of $Function" { Get-FunctionKeys $Function }
  if (@($keys.Values) -contains $key) {
    Write-Output "The key in $Secret is already a function key of $app/$Function."
  } elseif ($keys.ContainsKey($keyName)) {
    throw "Function key $keyName on $app/$Function differs from the key in $Secret; see docs/security.md (rotating the webhook keys)."
  } else {
    Write-Output "Setting function key $keyName on $app/$Function to the key in $Secret"
    # The key goes to az in a file (--body @file), never on the command line.
    $body = New-TextFile ('{"properties":{"name":"' + $keyName + '","value":"' + $key + '"}}')
    try {
      $null = Invoke-WithRetry "set $keyName on $Function" { Invoke-Arm 'put' "/functions/$Function/keys/${keyName}?api-version=$webApi" $body }
    } finally {
      Remove-Item -LiteralPath $body -Force
    }
  }
  if ($keys.ContainsKey('default')) {
    Write-Output "Deleting the auto-created function key default on $app/$Function"
    $null = Invoke-WithRetry "delete default on $Function" { Invoke-Arm 'delete' "/functions/$Function/keys/default?api-version=$webApi" }
  }
}

Install-Key 'notification-url' 'receiveNotifications'
Install-Key 'lifecycle-notification-url' 'receiveLifecycleNotifications'
