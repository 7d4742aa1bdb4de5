import { projectorHandler } from "../kit/projector.ts";
import { declaration } from "./function.ts";
import { inventoryLevelsProjection } from "./projection.ts";

export const handler = projectorHandler(declaration, inventoryLevelsProjection);
