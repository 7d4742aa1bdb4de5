import { projectorHandler } from "../kit/projector.ts";
import { declaration } from "./function.ts";
import { orderSummaryProjection } from "./projection.ts";

export const handler = projectorHandler(declaration, orderSummaryProjection);
