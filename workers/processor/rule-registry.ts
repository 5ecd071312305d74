import type pg from "pg";
import { z } from "zod";
import { addTrigger, projectTriggers, type EvaluableTrigger, type ProjectTriggers } from "../../src/core/processing";
import { compileRule, type AttributeDef } from "../../src/core/rules";
import { triggerActionSchema } from "../../src/core/triggers";
import type { Logger } from "../../src/platform/logger";

export interface LoadedTrigger extends EvaluableTrigger {
  projectId: string;
}

/** A project's enabled triggers, indexed for evaluateEvent (src/core/processing). */
export type ProjectRules = ProjectTriggers<LoadedTrigger>;

const NO_RULES: ProjectRules = Object.freeze(projectTriggers<LoadedTrigger>([]));
const actionsSchema = z.array(triggerActionSchema).catch([]);

interface TriggerRow {
  id: string;
  project_id: string;
  name: string;
  rule: string;
  actions: unknown;
  cooldown_seconds: number;
  version: number;
}

/**
 * The enabled triggers of every project, compiled once per version and reloaded every few seconds,
 * so an edit takes effect without a restart. A rule that no longer compiles (say an attribute it
 * reads was deleted) is skipped and logged once per version; the rest keep running.
 */
export class RuleRegistry {
  private byProject = new Map<string, ProjectRules>();
  private compiled = new Map<string, { key: string; trigger: LoadedTrigger | null }>();
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
    private readonly reloadMs = 2000,
  ) {}

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => {
      void this.reload().catch((error: unknown) => this.log.warn({ err: error }, "could not reload triggers; keeping the previous set"));
    }, this.reloadMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  forProject(projectId: string): ProjectRules {
    return this.byProject.get(projectId) ?? NO_RULES;
  }

  reload(): Promise<void> {
    this.reloading ??= this.load().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async load(): Promise<void> {
    const [triggers, attributes] = await Promise.all([
      this.pool.query<TriggerRow>("SELECT id, project_id, name, rule, actions, cooldown_seconds, version FROM triggers WHERE enabled ORDER BY created_at"),
      this.pool.query<{ project_id: string; entity: AttributeDef["entity"]; name: string; type: AttributeDef["type"] }>(
        "SELECT project_id, entity, name, type FROM attribute_definitions",
      ),
    ]);
    const attributesByProject = new Map<string, AttributeDef[]>();
    for (const row of attributes.rows) {
      const list = attributesByProject.get(row.project_id) ?? [];
      list.push({ entity: row.entity, name: row.name, type: row.type });
      attributesByProject.set(row.project_id, list);
    }

    const compiled = new Map<string, { key: string; trigger: LoadedTrigger | null }>();
    const byProject = new Map<string, ProjectRules>();
    for (const row of triggers.rows) {
      const projectAttributes = attributesByProject.get(row.project_id) ?? [];
      // Recompile when the rule or the attribute definitions it was checked against change.
      const key = `${row.version}\u0000${row.rule}\u0000${row.cooldown_seconds}\u0000${JSON.stringify(row.actions)}\u0000${JSON.stringify(projectAttributes)}`;
      let entry = this.compiled.get(row.id);
      if (!entry || entry.key !== key) {
        entry = { key, trigger: this.compile(row, projectAttributes) };
      }
      compiled.set(row.id, entry);
      if (!entry.trigger) continue;
      const rules: ProjectRules = byProject.get(row.project_id) ?? projectTriggers<LoadedTrigger>([]);
      addTrigger(rules, entry.trigger);
      byProject.set(row.project_id, rules);
    }
    this.compiled = compiled;
    this.byProject = byProject;
  }

  private compile(row: TriggerRow, attributes: AttributeDef[]): LoadedTrigger | null {
    try {
      return {
        id: row.id,
        projectId: row.project_id,
        name: row.name,
        version: row.version,
        cooldownMs: row.cooldown_seconds * 1000,
        actions: actionsSchema.parse(row.actions),
        rule: compileRule(row.rule, attributes),
      };
    } catch (error) {
      this.log.warn({ project_id: row.project_id, trigger_id: row.id, version: row.version, err: error }, "trigger rule does not compile; skipped");
      return null;
    }
  }
}
