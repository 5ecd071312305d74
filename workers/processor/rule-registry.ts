import type pg from "pg";
import { z } from "zod";
import { resolvedCohortSchema, type ResolvedCohort } from "../../src/core/cohorts";
import { addTrigger, projectTriggers, type EvaluableTrigger, type ProjectTriggers } from "../../src/core/processing";
import { compileRule, type AttributeDef } from "../../src/core/rules";
import { triggerActionSchema } from "../../src/core/triggers";
import type { Logger } from "../../src/platform/logger";
import type { CohortCache, WantedCohort } from "./cohort-cache";

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

interface CohortRow {
  id: string;
  project_id: string;
  key: string;
  name: string;
  kind: string;
  definition: unknown;
  version: number;
}

/**
 * The enabled triggers of every project, compiled once per version and reloaded every few seconds,
 * so an edit takes effect without a restart. A rule that no longer compiles (say an attribute or a
 * cohort it reads was deleted) is skipped and logged once per version; the rest keep running. The
 * cohorts the rules read are handed to the CohortCache, whose members the rules then see.
 */
export class RuleRegistry {
  private byProject = new Map<string, ProjectRules>();
  private compiled = new Map<string, { key: string; trigger: LoadedTrigger | null }>();
  private timer: NodeJS.Timeout | undefined;
  /** Stored cohorts that did not parse, by id and version: logged once each. */
  private readonly badCohorts = new Set<string>();
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
    private readonly reloadMs = 2000,
    /** Without one, rules reading a cohort never fire (no members are known). */
    private readonly cohorts?: CohortCache,
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
    const [triggers, attributes, cohorts] = await Promise.all([
      this.pool.query<TriggerRow>("SELECT id, project_id, name, rule, actions, cooldown_seconds, version FROM triggers WHERE enabled ORDER BY created_at"),
      this.pool.query<{ project_id: string; entity: AttributeDef["entity"]; name: string; type: AttributeDef["type"] }>(
        "SELECT project_id, entity, name, type FROM attribute_definitions",
      ),
      this.pool.query<CohortRow>(
        "SELECT id, project_id, key, name, kind, definition, version FROM cohorts WHERE project_id IN (SELECT project_id FROM triggers WHERE enabled) ORDER BY key",
      ),
    ]);
    const attributesByProject = new Map<string, AttributeDef[]>();
    for (const row of attributes.rows) {
      const list = attributesByProject.get(row.project_id) ?? [];
      list.push({ entity: row.entity, name: row.name, type: row.type });
      attributesByProject.set(row.project_id, list);
    }

    const cohortsByProject = new Map<string, Map<string, CohortRow>>();
    for (const row of cohorts.rows) {
      const byKey = cohortsByProject.get(row.project_id) ?? new Map<string, CohortRow>();
      byKey.set(row.key, row);
      cohortsByProject.set(row.project_id, byKey);
    }

    const compiled = new Map<string, { key: string; trigger: LoadedTrigger | null }>();
    const byProject = new Map<string, ProjectRules>();
    for (const row of triggers.rows) {
      const projectAttributes = attributesByProject.get(row.project_id) ?? [];
      const cohortKeys = [...(cohortsByProject.get(row.project_id)?.keys() ?? [])];
      // Recompile when the rule or the attribute definitions or cohort keys it was checked against change.
      const key = `${row.version}\u0000${row.rule}\u0000${row.cooldown_seconds}\u0000${JSON.stringify(row.actions)}\u0000${JSON.stringify(projectAttributes)}\u0000${cohortKeys.join(",")}`;
      let entry = this.compiled.get(row.id);
      if (!entry || entry.key !== key) {
        entry = { key, trigger: this.compile(row, projectAttributes, cohortKeys) };
      }
      compiled.set(row.id, entry);
      if (!entry.trigger) continue;
      let rules = byProject.get(row.project_id);
      if (!rules) {
        rules = projectTriggers<LoadedTrigger>([], this.cohorts?.view(row.project_id));
        byProject.set(row.project_id, rules);
      }
      addTrigger(rules, entry.trigger);
    }
    this.compiled = compiled;
    this.byProject = byProject;
    this.cohorts?.want(this.wantedCohorts(byProject, cohortsByProject));
  }

  /** The cohorts the compiled rules read, as the query service takes them. */
  private wantedCohorts(byProject: Map<string, ProjectRules>, cohortsByProject: Map<string, Map<string, CohortRow>>): WantedCohort[] {
    const wanted: WantedCohort[] = [];
    for (const [projectId, rules] of byProject) {
      for (const cohortKey of rules.cohortKeys) {
        const row = cohortsByProject.get(projectId)?.get(cohortKey);
        const cohort = row ? this.resolve(row) : null;
        if (cohort) wanted.push({ projectId, cohort });
      }
    }
    return wanted;
  }

  private resolve(row: CohortRow): ResolvedCohort | null {
    const parsed = resolvedCohortSchema.safeParse({
      id: row.id,
      key: row.key,
      name: row.name,
      kind: row.kind,
      definition: row.kind === "dynamic" ? row.definition : null,
      version: String(row.version),
    });
    if (parsed.success) return parsed.data;
    const seen = `${row.id}@${row.version}`;
    if (this.badCohorts.has(seen)) return null;
    this.badCohorts.add(seen);
    this.log.warn({ project_id: row.project_id, cohort: row.key, err: parsed.error }, "stored cohort does not parse; rules reading it do not fire");
    return null;
  }

  private compile(row: TriggerRow, attributes: AttributeDef[], cohortKeys: string[]): LoadedTrigger | null {
    try {
      return {
        id: row.id,
        projectId: row.project_id,
        name: row.name,
        version: row.version,
        cooldownMs: row.cooldown_seconds * 1000,
        actions: actionsSchema.parse(row.actions),
        rule: compileRule(row.rule, attributes, cohortKeys),
      };
    } catch (error) {
      this.log.warn({ project_id: row.project_id, trigger_id: row.id, version: row.version, err: error }, "trigger rule does not compile; skipped");
      return null;
    }
  }
}
