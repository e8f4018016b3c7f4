/** The reconcile timer's sequence: reconcile, gauges, deferred challenges, periodic resync. */
export { runMaintenance, type MaintenanceDependencies, type MaintenanceReport } from './runMaintenance';
