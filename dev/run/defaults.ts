/** Defaults of `npm run dev`, in a module of their own so `--help` answers without loading the pipeline. */

/** The default HTTP port, as under Core Tools. */
export const DEFAULT_HOST_PORT = 7071;
/** Where `--persist` keeps Azurite's data (git-ignored). */
export const PERSIST_FOLDER = '.azurite';
