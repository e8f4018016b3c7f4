/**
 * Runs one invocation exactly as the Node worker does (its `InvocationHandler`): ask the app's
 * programming model (the one `@azure/functions` registered) for an invocation model, let it turn the
 * RPC-shaped request into `(input, InvocationContext)`, run preInvocation hooks, call the handler,
 * run postInvocation hooks, and let the model turn the result back into RPC output data. The library
 * therefore builds its own `HttpRequest`, `InvocationContext`, timer object and trigger metadata from
 * what a trigger passes in, and the handler sees what it would see on Azure.
 *
 * The host side adds what the worker leaves to the host: an invocation id and trace context, the
 * "Executing"/"Executed" log lines with duration, host.json `functionTimeout`, and output bindings,
 * which must be written for the invocation to count as succeeded.
 */
import { randomFillSync, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { describeError } from '../../src/lib/shared/redact';
import type {
  CoreInvocationContext,
  HookContextInit,
  HookName,
  InvocationState,
  RpcException,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
  RpcParameterBinding,
  RpcTypedData,
} from './coreTypes';
import { LocalHostError } from './errors';
import type { LocalHostLogEntry, LocalHostLogLevel, LocalHostLogSink } from './log';
import type { RegisteredFunction, RuntimeRegistry } from './runtimeModule';

export interface InvocationInput {
  readonly inputData: RpcParameterBinding[];
  readonly triggerMetadata?: Record<string, RpcTypedData>;
  readonly retryContext?: {
    readonly retryCount: number;
    readonly maxRetryCount: number;
    readonly exception?: RpcException;
  };
  /** An incoming W3C `traceparent`; the invocation continues its trace with a new span. */
  readonly traceParent?: string;
  /** Why the function runs, for the "Executing" line. */
  readonly reason: string;
}

export interface InvocationOutcome {
  readonly invocationId: string;
  readonly functionName: string;
  readonly succeeded: boolean;
  readonly durationMs: number;
  /** What the handler (or a hook, or an output binding) threw, when it failed. */
  readonly error?: unknown;
  /** The model's RPC response, when it succeeded. */
  readonly response?: RpcInvocationResponse;
}

export type OutputWriter = (fn: RegisteredFunction, response: RpcInvocationResponse) => Promise<void>;

export interface InvokerOptions {
  readonly registry: RuntimeRegistry;
  readonly log: LocalHostLogSink;
  readonly functionTimeoutMs: number | undefined;
  readonly writeOutputs: OutputWriter;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/;

/** Random bytes drawn 4 KiB at a time: trace and span ids for every invocation without asking OpenSSL for each. */
const randomPool = Buffer.alloc(4096);
let randomPoolOffset = randomPool.length;

function randomHex(bytes: number): string {
  if (randomPoolOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  randomPoolOffset += bytes;
  return randomPool.toString('hex', randomPoolOffset - bytes, randomPoolOffset);
}

function childTraceParent(incoming: string | undefined): string {
  const match = incoming === undefined ? null : TRACEPARENT.exec(incoming.trim().toLowerCase());
  const traceId = match?.[1] ?? randomHex(16);
  const flags = match?.[2] ?? '01';
  return `00-${traceId}-${randomHex(8)}-${flags}`;
}

export function toLocalLevel(level: RpcLogLevel): LocalHostLogLevel | undefined {
  return level === 'none' ? undefined : level;
}

function formatTimeout(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}

/** As in the worker, a postInvocation hook may set `error` to null to turn a failure into a success. */
function isFailure(error: unknown): boolean {
  return error !== null && error !== undefined;
}

export class Invoker {
  readonly #options: InvokerOptions;
  readonly #inFlight = new Set<Promise<InvocationOutcome>>();

  constructor(options: InvokerOptions) {
    this.#options = options;
  }

  /** Resolves once no invocation is running (including ones started while waiting). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  invoke(fn: RegisteredFunction, input: InvocationInput): Promise<InvocationOutcome> {
    const running = this.#run(fn, input);
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running));
    return running;
  }

  #emit(entry: Omit<LocalHostLogEntry, 'time'>): void {
    try {
      this.#options.log({ time: new Date(), ...entry });
    } catch {
      // A broken sink must not fail the invocation it is reporting on.
    }
  }

  async #run(fn: RegisteredFunction, input: InvocationInput): Promise<InvocationOutcome> {
    const { registry } = this.#options;
    const invocationId = randomUUID();
    const functionName = fn.name;
    this.#emit({
      level: 'information',
      source: 'host',
      functionName,
      invocationId,
      message: `Executing 'Functions.${functionName}' (Reason='${input.reason}', Id=${invocationId})`,
    });
    const started = performance.now();
    let invocationContext: unknown;
    let inLogHook = false;

    const log = (level: RpcLogLevel, category: RpcLogCategory, message: string): void => {
      let effectiveLevel = level;
      let effectiveMessage = message;
      if (category === 'user' && !inLogHook) {
        // The worker lets `app.hook.log` handlers see and rewrite each user log line.
        const hookContext: HookContextInit = { hookData: {}, level, message, category, invocationContext };
        inLogHook = true;
        try {
          for (const hook of registry.hooks('log')) void hook(hookContext);
        } catch (error) {
          this.#emit({
            level: 'warning',
            source: 'host',
            functionName,
            invocationId,
            message: `A log hook failed: ${describeError(error)}`,
          });
        } finally {
          inLogHook = false;
        }
        effectiveLevel = hookContext.level as RpcLogLevel;
        effectiveMessage = String(hookContext.message);
      }
      const localLevel = toLocalLevel(effectiveLevel);
      if (localLevel === undefined) return;
      this.#emit({
        level: localLevel,
        source: category === 'user' ? 'function' : 'worker',
        functionName,
        invocationId,
        message: effectiveMessage,
      });
    };

    const request: RpcInvocationRequest = {
      invocationId,
      functionId: fn.functionId,
      inputData: input.inputData,
      triggerMetadata: input.triggerMetadata ?? {},
      traceContext: {
        traceParent: childTraceParent(input.traceParent),
        traceState: '',
        attributes: { OperationName: functionName },
      },
      retryContext: input.retryContext ?? null,
    };
    const coreContext: CoreInvocationContext = { invocationId, request, metadata: fn.metadata, state: undefined, log };
    const setState = (state: InvocationState | undefined): void => {
      coreContext.state = state;
    };

    try {
      const model = registry.programmingModel;
      if (model === undefined) throw new Error('The app registered functions without setting a programming model');
      const invocationModel = await model.getInvocationModel(coreContext);
      const { context, inputs: initialInputs } = await invocationModel.getArguments();
      invocationContext = context;
      const hookData: Record<string, unknown> = {};

      const preContext = {
        get hookData() {
          return hookData;
        },
        get appHookData() {
          return registry.appHookData;
        },
        get invocationContext() {
          return context;
        },
        functionCallback: fn.callback,
        inputs: initialInputs,
      };
      await this.#runHooks('preInvocation', preContext, setState, 'preInvocationHooks');

      const postContext = {
        get hookData() {
          return hookData;
        },
        get appHookData() {
          return registry.appHookData;
        },
        get invocationContext() {
          return context;
        },
        inputs: preContext.inputs,
        result: null as unknown,
        error: null as unknown,
      };
      setState('invocation');
      try {
        postContext.result = await this.#withTimeout(
          invocationModel.invokeFunction(context, preContext.inputs, preContext.functionCallback),
          functionName,
          invocationId,
        );
      } catch (error) {
        postContext.error = error;
      } finally {
        setState(undefined);
      }
      await this.#runHooks('postInvocation', postContext, setState, 'postInvocationHooks');
      if (isFailure(postContext.error)) throw postContext.error;

      const response = await invocationModel.getResponse(context, postContext.result);
      await this.#options.writeOutputs(fn, response);
      return this.#finish(fn, invocationId, started, { succeeded: true, response });
    } catch (error) {
      this.#emit({
        level: 'error',
        source: 'host',
        functionName,
        invocationId,
        message: `Function 'Functions.${functionName}' failed (Id=${invocationId}): ${describeError(error)}`,
      });
      return this.#finish(fn, invocationId, started, { succeeded: false, error });
    }
  }

  async #runHooks(
    name: HookName,
    context: HookContextInit,
    setState: (state: InvocationState | undefined) => void,
    state: InvocationState,
  ): Promise<void> {
    setState(state);
    try {
      for (const hook of this.#options.registry.hooks(name)) await hook(context);
    } finally {
      setState(undefined);
    }
  }

  async #withTimeout<T>(work: Promise<T>, functionName: string, invocationId: string): Promise<T> {
    const timeoutMs = this.#options.functionTimeoutMs;
    if (timeoutMs === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(
          new LocalHostError(
            'ERR_LOCAL_HOST_FUNCTION_TIMEOUT',
            `Timeout value of ${formatTimeout(timeoutMs)} exceeded by function 'Functions.${functionName}' (Id: '${invocationId}')`,
          ),
        );
      }, timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #finish(
    fn: RegisteredFunction,
    invocationId: string,
    started: number,
    result: { succeeded: true; response: RpcInvocationResponse } | { succeeded: false; error: unknown },
  ): InvocationOutcome {
    const durationMs = Math.round(performance.now() - started);
    this.#emit({
      level: result.succeeded ? 'information' : 'error',
      source: 'host',
      functionName: fn.name,
      invocationId,
      durationMs,
      succeeded: result.succeeded,
      message: `Executed 'Functions.${fn.name}' (${result.succeeded ? 'Succeeded' : 'Failed'}, Id=${invocationId}, Duration=${durationMs}ms)`,
    });
    return { invocationId, functionName: fn.name, durationMs, ...result };
  }
}
