/**
 * The optional delivery-route modules (npm run check:bicep compiles and lints them with the rest): off unless
 * asked for, wired into the app's settings when on, and granting what Graph's pages require to whom they require it.
 */
import { describe, expect, it } from 'vitest';
import { readRepoFile } from './bicepText';

const main = readRepoFile('infra/main.bicep');
const parameters = readRepoFile('infra/main.parameters.json');
const eventGrid = readRepoFile('infra/app/eventGrid.bicep');
const eventHubs = readRepoFile('infra/app/eventHubs.bicep');

describe('the optional Event Grid and Event Hubs modules', () => {
  it('are off by default and deployed only when enabled', () => {
    expect(main).toMatch(/^param enableEventGrid bool = false$/m);
    expect(main).toMatch(/^param enableEventHubs bool = false$/m);
    expect(main).toMatch(/^module eventGrid 'app\/eventGrid\.bicep' = if \(enableEventGrid\) \{$/m);
    expect(main).toMatch(/^module eventHubs 'app\/eventHubs\.bicep' = if \(enableEventHubs\) \{$/m);
    expect(parameters).toContain('"enableEventGrid": { "value": "${ENABLE_EVENT_GRID=false}" }');
    expect(parameters).toContain('"enableEventHubs": { "value": "${ENABLE_EVENT_HUBS=false}" }');
  });

  it('hand their settings to the app only when enabled', () => {
    expect(main).toContain(
      'routeSettings: union(enableEventGrid ? eventGrid!.outputs.routeSettings : {}, enableEventHubs ? eventHubs!.outputs.routeSettings : {})',
    );
  });

  it('authorise the partner MicrosoftGraphAPI until an expiry, with a dead-letter container', () => {
    expect(eventGrid).toMatch(/partnerName: 'MicrosoftGraphAPI'/);
    expect(eventGrid).toMatch(/authorizationExpirationTimeInUtc: dateTimeAdd\(baseTime, 'P\$\{authorizationDays\}D'\)/);
    expect(eventGrid).toMatch(/name: 'default'\s+location: 'global'/);
    // The dead-letter container is one of the app's containers (EVENT_GRID_DEAD_LETTER_CONTAINER_NAME).
    expect(main).toMatch(/var containerNames = \[[^\]]*settings\.EVENT_GRID_DEAD_LETTER_CONTAINER_NAME/);
    expect(eventGrid).toContain('EVENT_GRID_DEAD_LETTER_STORAGE_ACCOUNT_ID: storageAccount.id');
  });

  it("make the app's identity an EventGrid Contributor of the group, so the reconcile timer can activate the topic", () => {
    expect(eventGrid).toContain("'1e241071-0855-49ea-94dc-649edcd759de'"); // EventGrid Contributor
    expect(eventGrid).toMatch(/roleDefinitionId: eventGridContributor\s+principalId: identityPrincipalId/);
    expect(main).toMatch(
      /storageAccountName: storage\.outputs\.name\s+identityPrincipalId: identity\.outputs\.principalId/,
    );
  });

  it("grant Data Sender on the hub to Graph's Change Tracking principal and Data Receiver to the app, on a Standard namespace without SAS", () => {
    expect(eventHubs).toContain("'2b629674-e913-4c01-ae53-ef4638d8f975'"); // Azure Event Hubs Data Sender
    expect(eventHubs).toContain("'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'"); // Azure Event Hubs Data Receiver
    expect(eventHubs).toMatch(/roleDefinitionId: dataSender, principalId: changeTrackingPrincipalId/);
    expect(eventHubs).toMatch(/roleDefinitionId: dataReceiver, principalId: identityPrincipalId/);
    expect(eventHubs.match(/scope: hub/g)).toHaveLength(2);
    expect(eventHubs).toMatch(/sku: \{ name: 'Standard'/);
    expect(eventHubs).toContain('disableLocalAuth: true');
  });
});
