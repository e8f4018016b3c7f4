export type { MessageSender, PayloadStore, PrepareOptions, SendOptions } from './ports';
export { StorageConflict, StorageNotFound, StorageUnavailable } from '../shared/errors';
