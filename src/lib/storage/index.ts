export type { MessageSender, PayloadStore, SendOptions } from './ports';
export { StorageConflict, StorageNotFound, StorageUnavailable } from '../shared/errors';
