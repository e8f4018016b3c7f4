// The app's one identity. User-assigned rather than system-assigned so its client id is known before the
// app exists (app settings, Key Vault references and the Graph federated credential all name it), and it
// survives re-creating the app.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
