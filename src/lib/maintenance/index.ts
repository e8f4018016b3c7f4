/** The reconcile timer's sequence: reconcile, gauges, deferred challenges, periodic resync, the Event Grid route. */
export { runMaintenance, type MaintenanceDependencies, type MaintenanceReport } from './runMaintenance';
export {
  EVENT_GRID_ROUTE_ERROR_PREFIX,
  keepEventGridRouteActive,
  type EventGridRouteDependencies,
  type EventGridRouteReport,
} from './eventGridRoute';
