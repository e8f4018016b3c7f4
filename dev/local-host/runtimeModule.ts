/**
 * The stand-in for `@azure/functions-core`, the module the Functions Node worker builds into itself.
 * `@azure/functions` requires it lazily; when the require fails the library drops into "test mode"
 * and registers nothing. Putting this object in `require.cache` and teaching
 * `Module._resolveFilename` its name makes the app's unmodified `app.http/storageQueue/timer` calls
 * land here with the exact metadata and raw handler the real worker receives, so the production code
 * needs no branch for local runs.
 *
 * The registry behaves like the worker's: functions register only during start-up, names are unique
 * (case-insensitively, as the host compares them), hooks run in registration order and unknown hook
 * names are a RangeError the library recognises.
 */
import Module from 'node:module';
import { resolve } from 'node:path';
import type {
  CoreFunctionMetadata,
  FunctionCallback,
  HookCallback,
  HookName,
  ProgrammingModel,
  RpcFunctionMetadata,
  RpcLogCategory,
  RpcLogLevel,
} from './coreTypes';

export const CORE_MODULE_NAME = '@azure/functions-core';
/** A path no file lives at: the cache key under which the stand-in module is found. */
const CORE_MODULE_FILENAME = resolve('/', '__graph-notify-local-host__', 'node_modules', '@azure', 'functions-core.js');
/** Reported as the worker version; `@azure/functions` only checks that the module exists. */
const WORKER_VERSION = '3.12.0-local-host';
const HOST_VERSION = '4.1040.0-local-host';

const HOOK_NAMES: readonly HookName[] = ['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log'];

export interface RegisteredFunction {
  readonly name: string;
  readonly functionId: string;
  readonly metadata: RpcFunctionMetadata;
  readonly callback: FunctionCallback;
}

/** Mirrors the worker's `Disposable` (the library re-exports its own, but hooks may get ours). */
class Disposable {
  #callOnDispose: (() => void) | undefined;

  constructor(callOnDispose: () => void) {
    this.#callOnDispose = callOnDispose;
  }

  static from(...likes: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const like of likes) like.dispose();
    });
  }

  dispose(): void {
    const callback = this.#callOnDispose;
    this.#callOnDispose = undefined;
    callback?.();
  }
}

/** Thrown for an unknown hook name; `isAzureFunctionsSystemError` lets the library translate it. */
class UnknownHookError extends RangeError {
  readonly isAzureFunctionsSystemError = true;
}

export type SystemLogListener = (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;

/** Everything the app registered through the runtime module, in registration order. */
export class RuntimeRegistry {
  readonly #functions = new Map<string, RegisteredFunction>();
  readonly #hooks = new Map<HookName, HookCallback[]>(HOOK_NAMES.map((name) => [name, []]));
  #programmingModel: ProgrammingModel | undefined;
  #startupFinished = false;
  /** Shared by every hook of the app (worker: `appHookData`). */
  readonly appHookData: Record<string, unknown> = {};
  /** Shared by app-level hooks only (worker: `appLevelOnlyHookData`). */
  readonly appLevelHookData: Record<string, unknown> = {};
  #systemLog: SystemLogListener;

  constructor(systemLog: SystemLogListener) {
    this.#systemLog = systemLog;
  }

  get functions(): readonly RegisteredFunction[] {
    return [...this.#functions.values()];
  }

  get programmingModel(): ProgrammingModel | undefined {
    return this.#programmingModel;
  }

  hooks(name: HookName): readonly HookCallback[] {
    return [...(this.#hooks.get(name) ?? [])];
  }

  /** After this, registering or disposing a function throws, as in the worker after start-up. */
  finishStartup(): void {
    this.#startupFinished = true;
  }

  /** The object `require('@azure/functions-core')` returns to the app. */
  createCoreApi(): Record<string, unknown> {
    return {
      version: WORKER_VERSION,
      hostVersion: HOST_VERSION,
      Disposable,
      setProgrammingModel: (model: ProgrammingModel): void => {
        this.#programmingModel = model;
        this.#systemLog(
          'information',
          'system',
          `Setting Node.js programming model to "${model.name}" version "${model.version}"`,
        );
      },
      getProgrammingModel: (): ProgrammingModel | undefined => this.#programmingModel,
      registerFunction: (metadata: CoreFunctionMetadata, callback: FunctionCallback): Disposable =>
        this.#registerFunction(metadata, callback),
      registerHook: (hookName: string, callback: HookCallback): Disposable => this.#registerHook(hookName, callback),
      log: (level: RpcLogLevel, category: RpcLogCategory, message: string): void => {
        this.#systemLog(level, category, message);
      },
    };
  }

  #registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): Disposable {
    if (this.#startupFinished) throw new Error('A function can only be registered during app startup.');
    if (typeof metadata.name !== 'string' || metadata.name === '')
      throw new TypeError('registerFunction: metadata.name is required');
    if (typeof callback !== 'function')
      throw new TypeError(`registerFunction: the handler of "${metadata.name}" is not a function`);
    const key = metadata.name.toLowerCase();
    if (this.#functions.has(key)) {
      throw new Error(`A function named "${metadata.name}" is already registered; function names must be unique.`);
    }
    const functionId = metadata.functionId ?? metadata.name;
    const rpcMetadata: RpcFunctionMetadata = {
      name: metadata.name,
      functionId,
      bindings: metadata.bindings,
      // What the worker sends the host: one JSON document per binding, with its name folded in.
      rawBindings: Object.entries(metadata.bindings).map(([name, binding]) => JSON.stringify({ ...binding, name })),
      ...(metadata.retryOptions === undefined ? {} : { retryOptions: metadata.retryOptions }),
    };
    this.#functions.set(key, { name: metadata.name, functionId, metadata: rpcMetadata, callback });
    return new Disposable(() => {
      if (this.#startupFinished) throw new Error('A function can only be disposed during app startup.');
      this.#functions.delete(key);
    });
  }

  #registerHook(hookName: string, callback: HookCallback): Disposable {
    const hooks = this.#hooks.get(hookName as HookName);
    if (hooks === undefined) throw new UnknownHookError(`Unrecognized hook "${hookName}"`);
    hooks.push(callback);
    return new Disposable(() => {
      const index = hooks.indexOf(callback);
      if (index !== -1) hooks.splice(index, 1);
    });
  }
}

interface ModuleInternals {
  _resolveFilename: (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
  _cache: Record<string, Module | undefined>;
}

const moduleInternals = Module as unknown as ModuleInternals;

/**
 * Makes `require('@azure/functions-core')` return `coreApi` for every module in this process until
 * the returned function is called. Only one stand-in can be installed at a time.
 */
export function installRuntimeModule(coreApi: Record<string, unknown>): () => void {
  if (moduleInternals._cache[CORE_MODULE_FILENAME] !== undefined) {
    throw new Error(`${CORE_MODULE_NAME} is already provided in this process`);
  }
  const stub = new Module(CORE_MODULE_FILENAME);
  stub.filename = CORE_MODULE_FILENAME;
  stub.exports = coreApi;
  stub.loaded = true;
  moduleInternals._cache[CORE_MODULE_FILENAME] = stub;

  const originalResolve = moduleInternals._resolveFilename;
  let active = true;
  const resolveWithCoreModule: ModuleInternals['_resolveFilename'] = (request, parent, isMain, options) =>
    active && request === CORE_MODULE_NAME
      ? CORE_MODULE_FILENAME
      : originalResolve.call(Module, request, parent, isMain, options);
  moduleInternals._resolveFilename = resolveWithCoreModule;

  return () => {
    active = false;
    // Another loader (tsx, a test runner) may have wrapped the resolver since: then leave the chain
    // intact and let the inactive wrapper pass every request through.
    if (moduleInternals._resolveFilename === resolveWithCoreModule) moduleInternals._resolveFilename = originalResolve;
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- require.cache is keyed by file name by design.
    delete moduleInternals._cache[CORE_MODULE_FILENAME];
  };
}
