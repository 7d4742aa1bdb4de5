import type { SagaTimeouts } from "../domain/order-saga.ts";
import { defaultSagaTimeouts } from "../domain/order-saga.ts";
import { InvalidEnvironmentVariableError } from "../kit/errors.ts";

function seconds(name: string, fallbackMs: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallbackMs;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidEnvironmentVariableError(name, "a positive number of seconds");
  }
  return value * 1000;
}

/**
 * The saga's deadlines from the environment (defaults suit AWS; the local demo shortens them so a
 * payment that never answers is compensated in seconds). Read by the saga and by its sweeper.
 * `DUPLEX_SAGA_STALL_GRACE_SECONDS` bounds how long our own lag may hold a deadline.
 */
export function sagaTimeoutsFromEnv(env: NodeJS.ProcessEnv = process.env): SagaTimeouts {
  const d = defaultSagaTimeouts;
  const maxReissues = env.DUPLEX_SAGA_MAX_REISSUES;
  return {
    inventoryMs: seconds("DUPLEX_SAGA_INVENTORY_TIMEOUT_SECONDS", d.inventoryMs, env),
    paymentMs: seconds("DUPLEX_SAGA_PAYMENT_TIMEOUT_SECONDS", d.paymentMs, env),
    deliveryMs: seconds("DUPLEX_SAGA_DELIVERY_TIMEOUT_SECONDS", d.deliveryMs, env),
    stepMs: seconds("DUPLEX_SAGA_STEP_TIMEOUT_SECONDS", d.stepMs, env),
    holdSeconds: seconds("DUPLEX_SAGA_HOLD_SECONDS", d.holdSeconds * 1000, env) / 1000,
    maxReissues:
      maxReissues === undefined || maxReissues === "" ? d.maxReissues : Number(maxReissues),
    stallGraceMs: seconds("DUPLEX_SAGA_STALL_GRACE_SECONDS", d.stallGraceMs, env),
  };
}
