import { declaration as commandApi } from "./command-api/function.ts";
import { declaration as customerCommands } from "./customer-commands/function.ts";
import { declaration as customerOrdersProjector } from "./customer-orders-projector/function.ts";
import { declaration as deliveryCommands } from "./delivery-commands/function.ts";
import { declaration as fastLaneLedger } from "./fast-lane-ledger/function.ts";
import { declaration as fastLaneReconciler } from "./fast-lane-reconciler/function.ts";
import { declaration as inventoryCommands } from "./inventory-commands/function.ts";
import { declaration as inventoryLevelsProjector } from "./inventory-levels-projector/function.ts";
import type { FunctionDeclaration } from "./kit/declarations.ts";
import { declaration as logOperations } from "./log-operations/function.ts";
import { declaration as orderCommands } from "./order-commands/function.ts";
import { declaration as orderSaga } from "./order-saga/function.ts";
import { declaration as orderSummaryProjector } from "./order-summary-projector/function.ts";
import { declaration as outboxSweeper } from "./outbox-sweeper/function.ts";
import { declaration as paymentCommands } from "./payment-commands/function.ts";
import { declaration as queryApi } from "./query-api/function.ts";
import { declaration as sagaSweeper } from "./saga-sweeper/function.ts";
import { declaration as salesAnalyticsProjector } from "./sales-analytics-projector/function.ts";
import { declaration as topicProvisioner } from "./topic-provisioner/function.ts";

/**
 * Every function of Duplex. CDK and the local functions host iterate this list; importing it loads
 * declarations only (no handler code, no environment reads).
 */
export const functionDeclarations: readonly FunctionDeclaration[] = [
  customerCommands,
  orderCommands,
  inventoryCommands,
  paymentCommands,
  deliveryCommands,
  orderSaga,
  orderSummaryProjector,
  inventoryLevelsProjector,
  customerOrdersProjector,
  salesAnalyticsProjector,
  fastLaneLedger,
  fastLaneReconciler,
  outboxSweeper,
  sagaSweeper,
  topicProvisioner,
  commandApi,
  queryApi,
  logOperations,
];
