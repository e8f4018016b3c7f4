# Helpers for the azd hooks in this folder (dot-sourced, not run): the Windows twin of infra/hooks/lib.sh.
#
# Every Azure call names the subscription azd deploys to: `--subscription` on `az` commands that take it, the
# subscription id written into the URL for `az rest` (which has no --subscription). The Azure CLI's default
# subscription (`az account set`) may be another one. Every Azure call is retried a bounded number of times:
# a role assigned minutes ago takes a while to apply, and a Flex Consumption app answers 404 or 5xx for a while
# after a deployment. Written for Windows PowerShell 5.1 as well as PowerShell 7.

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

# A failure prints its message alone (no colours or source excerpt) and exits 1, as the sh hooks do.
function Exit-WithMessage([Management.Automation.ErrorRecord] $Failure) {
  [Console]::Error.WriteLine($Failure.Exception.Message)
  exit 1
}

function Get-RequiredSetting([string] $Name, [string] $Hint) {
  $value = [Environment]::GetEnvironmentVariable($Name)
  if ([string]::IsNullOrEmpty($value)) { throw "$Name is not set: $Hint" }
  return $value
}

$sub = Get-RequiredSetting 'AZURE_SUBSCRIPTION_ID' 'run this hook through azd (azd provision / azd deploy)'
$rg = Get-RequiredSetting 'AZURE_RESOURCE_GROUP' 'run azd provision first'
$app = Get-RequiredSetting 'AZURE_FUNCTION_NAME' 'run azd provision first'
$vault = Get-RequiredSetting 'AZURE_KEY_VAULT_NAME' 'run azd provision first'
# Attempts per Azure call, and seconds between them (tests set 0).
$attempts = if ($env:GRAPH_NOTIFY_HOOK_ATTEMPTS) { [int] $env:GRAPH_NOTIFY_HOOK_ATTEMPTS } else { 20 }
$delay = if ($env:GRAPH_NOTIFY_HOOK_RETRY_SECONDS) { [int] $env:GRAPH_NOTIFY_HOOK_RETRY_SECONDS } else { 15 }
# Microsoft.Web API version for the management calls, the one Microsoft's Key Vault references page uses.
$webApi = '2022-03-01'
$site = "https://management.azure.com/subscriptions/$sub/resourceGroups/$rg/providers/Microsoft.Web/sites/$app"

# Runs `az` with ARGS; returns its standard output as one string, or $null when it failed.
function Invoke-Az([string[]] $Arguments) {
  $output = & az @Arguments
  if ($LASTEXITCODE -ne 0) { return $null }
  return ($output | Out-String)
}

# Runs ACTION until it returns something other than $null, at most $attempts times, $delay seconds apart;
# returns that result, or throws naming WHAT.
function Invoke-WithRetry([string] $What, [scriptblock] $Action) {
  for ($try = 1; ; $try++) {
    $result = $null
    try { $result = & $Action } catch { $result = $null }
    if ($null -ne $result) { return $result }
    if ($try -ge $attempts) { throw "Giving up after $try tries: $What" }
    [Console]::Error.WriteLine("Azure call failed (try $try of $attempts; role assignment or deployment still settling?); retrying in $delay s")
    Start-Sleep -Seconds $delay
  }
}

# One management call on the function app; returns the answer's text ('' for an empty body), $null on failure.
function Invoke-Arm([string] $Method, [string] $UrlSuffix, [string] $BodyFile) {
  $arguments = @('rest', '--method', $Method, '--uri', "$site$UrlSuffix", '--output', 'json')
  if ($BodyFile) { $arguments += @('--body', "@$BodyFile") }
  return Invoke-Az $arguments
}

# Parses JSON text; $null for empty text or the JSON null, so callers treat both as "no answer". A JSON list
# comes back as one array, even an empty one (PowerShell 7's ConvertFrom-Json would unroll it to nothing).
function ConvertFrom-JsonText([string] $Text) {
  if ([string]::IsNullOrWhiteSpace($Text)) { return $null }
  if ($Text.TrimStart().StartsWith('[')) { return , @(ConvertFrom-Json -InputObject $Text) }
  return ConvertFrom-Json -InputObject $Text
}

# Writes TEXT to a new temporary file as UTF-8 without a byte order mark or a trailing newline; returns its path.
function New-TextFile([string] $Text) {
  $path = [IO.Path]::GetTempFileName()
  [IO.File]::WriteAllText($path, $Text, (New-Object Text.UTF8Encoding $false))
  return $path
}
