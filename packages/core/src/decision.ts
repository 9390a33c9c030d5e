import { AgoraError, type ErrorCode } from './errors.ts';

/**
 * A decision about what an actor may do, as a value: `null` allows, a Refusal says why not with
 * the error code a caller answers. Pure rules in core return these, so they are tested as tables
 * of cases; operations `enforce` them (throw the refusal as an AgoraError).
 */
export interface Refusal {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export type Decision = Refusal | null;

export const refuse = (code: ErrorCode, message: string, details?: unknown): Refusal => ({ code, message, ...(details === undefined ? {} : { details }) });

/** Throws the refusal as an AgoraError; does nothing when the decision allows. */
export function enforce(decision: Decision): void {
  if (decision) throw new AgoraError(decision.code, decision.message, decision.details);
}

/** The first refusal among decisions taken in order, or null when all allow. */
export const firstRefusal = (...decisions: Decision[]): Decision => decisions.find((d) => d !== null) ?? null;
