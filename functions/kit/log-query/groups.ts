import type { TopicName } from "../../../events/topics.ts";
import { functionDeclarations } from "../../registry.ts";
import type { LogTrigger } from "../declarations.ts";
import { consumerGroupFor } from "../declarations.ts";

/** A consumer group of the log: one per (function, topic), as MSK event source mappings have. */
export interface DeclaredGroup {
  /** The group's name in the declarations (the physical name on AWS). */
  readonly groupId: string;
  readonly functionName: string;
  readonly topic: TopicName;
  readonly trigger: LogTrigger;
}

/** Every consumer group the function declarations define. */
export function declaredGroups(): DeclaredGroup[] {
  return functionDeclarations.flatMap((declaration) => {
    const trigger = declaration.trigger;
    if (trigger.kind !== "log") return [];
    return trigger.topics.map((topic) => ({
      groupId: consumerGroupFor(trigger, topic),
      functionName: declaration.name,
      topic,
      trigger,
    }));
  });
}
