import { projectorHandler } from "../kit/projector.ts";
import { declaration } from "./function.ts";
import { salesAnalyticsProjection } from "./projection.ts";

export const handler = projectorHandler(declaration, salesAnalyticsProjection);
