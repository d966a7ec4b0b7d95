import { Refusal, type EngineState } from './engine-state.js';

/** A request's parameters, decoded: one string each. */
export type Params = Record<string, string>;

/** The engine's answer to a request: Duo's `response`, and a listing's paging `metadata`. */
export interface Answer {
  response?: unknown;
  metadata?: unknown;
}

/** What a route's handler is given. */
export interface Call {
  readonly state: EngineState;
  readonly params: Params;
  /** The ids the path names: the object's, then the one under it ('' where the path names none). */
  readonly id: string;
  readonly sub: string;
  /** The router: the bulk endpoint answers each of its operations through it. */
  readonly handle: (method: string, path: string, params: Params) => Answer;
}

/** One endpoint: its method, its path (each group an id), and its handler, which throws a Refusal where Duo would refuse. */
export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: RegExp;
  readonly answer: (call: Call) => Answer;
}

/** A parameter the call cannot go without: Duo refuses a call that lacks it (or gives it empty). */
export function required(params: Params, name: string): string {
  const value = params[name];
  if (!value) throw new Refusal(400, 40001, 'Missing required request parameters', name);
  return value;
}
