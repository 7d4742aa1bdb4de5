import { projectorHandler } from "../kit/projector.ts";
import { declaration } from "./function.ts";
import { customerOrdersProjection } from "./projection.ts";

export const handler = projectorHandler(declaration, customerOrdersProjection);
