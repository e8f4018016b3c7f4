# azd post-provision hook for Windows: the same steps as postprovision.sh, whose header says why each exists.
# Writes the notification URLs (each with its own new function key) to Key Vault unless they exist, asks the
# app to read its Key Vault references again (a restart does not), and waits until NOTIFICATION_URL and
# LIFECYCLE_NOTIFICATION_URL show as resolved.
trap { Exit-WithMessage $_ }
. (Join-Path $PSScriptRoot 'lib.ps1')

$hostName = (Get-RequiredSetting 'SERVICE_API_URI' 'run azd provision first') -replace '^https://', '' -replace '/$', ''

$names = Invoke-WithRetry 'az keyvault secret list' {
  $secrets = ConvertFrom-JsonText (Invoke-Az @('keyvault', 'secret', 'list', '--vault-name', $vault, '--subscription', $sub, '--output', 'json'))
  if ($null -eq $secrets) { return $null }
  # A one-element list of names, so an empty vault is not $null.
  return , @($secrets | ForEach-Object { $_.name })
}

# 40 random bytes, base64url without padding: the characters a function key may hold.
function New-FunctionKey {
  $bytes = New-Object byte[] 40
  [Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($bytes)
  return [Convert]::ToBase64String($bytes).Replace('+', '-').Replace('/', '_').TrimEnd('=')
}

# Writes https://<host>/api/PATH?code=<new key> as SECRET unless SECRET exists; the value goes through a file.
function Set-UrlSecret([string] $Secret, [string] $Path) {
  if ($names -contains $Secret) {
    Write-Output "Secret $Secret already in $vault; left as it is."
    return
  }
  $file = New-TextFile "https://$hostName/api/${Path}?code=$(New-FunctionKey)"
  try {
    $null = Invoke-WithRetry 'az keyvault secret set' {
      Invoke-Az @('keyvault', 'secret', 'set', '--vault-name', $vault, '--name', $Secret, '--file', $file, '--encoding', 'utf-8',
        '--subscription', $sub, '--output', 'none')
    }
  } finally {
    Remove-Item -LiteralPath $file -Force
  }
  Write-Output "Secret $Secret stored in $vault."
}

Set-UrlSecret 'notification-url' 'notifications'
Set-UrlSecret 'lifecycle-notification-url' 'lifecycle'

$null = Invoke-WithRetry 'refresh Key Vault references' { Invoke-Arm 'post' "/config/configreferences/appsettings/refresh?api-version=$webApi" }
Write-Output "Asked $app to read its Key Vault references again; waiting until both URLs resolve."

$script:lastStatus = ''
$resolvedCheck = {
  $references = ConvertFrom-JsonText (Invoke-Arm 'get' "/config/configreferences/appsettings?api-version=$webApi")
  if ($null -eq $references) { return $null }
  $script:lastStatus = ($references.value | ForEach-Object { "$($_.name): $($_.properties.status)" }) -join '; '
  foreach ($setting in @('NOTIFICATION_URL', 'LIFECYCLE_NOTIFICATION_URL')) {
    $resolved = @($references.value | Where-Object { ($_.name -split '/')[-1] -eq $setting -and $_.properties.status -eq 'Resolved' })
    if ($resolved.Count -eq 0) { return $null }
  }
  return $true
}
try {
  $null = Invoke-WithRetry 'NOTIFICATION_URL and LIFECYCLE_NOTIFICATION_URL resolved' $resolvedCheck
} catch {
  throw "NOTIFICATION_URL or LIFECYCLE_NOTIFICATION_URL is still unresolved on $app; last status: $script:lastStatus"
}
Write-Output "Notification URLs stored in $vault and resolved by $app."
