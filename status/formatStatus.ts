// The human form of the status report: one block per service, then drift, hosts and the zone's record sets.
// Scripts read `--json` instead, which is the report itself.
import type { DriftItem, InstanceStatus, StatusReport } from "./statusReport";

const HEALTH_TEXT: Record<InstanceStatus["health"], string> = {
  "agent-check": "healthy (passing its agent's check)",
  "reconciler-check": "in DNS (the reconciler checks it)",
  "ecs-check": "in DNS (ECS's health check decides)",
  unhealthy: "UNHEALTHY, held out of DNS",
  "unhealthy-leaving": "UNHEALTHY, leaving DNS",
};

const DRIFT_TITLE: Record<DriftItem["kind"], string> = {
  "task-without-record": "task without its record",
  "record-without-task": "record without its task",
  "record-without-host": "record without its host",
};

export function formatStatus(report: StatusReport): string {
  const lines: string[] = [];
  lines.push(`zone ${report.zone.name} (${report.zone.id}), checked ${report.checkedAt}`);
  const inv = report.inventory;
  lines.push(
    `ECS: ${inv.clusters ?? 0} cluster(s), ${inv.activeHosts ?? 0} active host(s), ${inv.tasks ?? 0} running task(s)`,
  );
  lines.push("", "Services");
  if (report.services.length === 0) lines.push("  (none of ours in the zone)");
  for (const service of report.services) {
    lines.push(`  ${service.name}  ${service.instances.length} instance(s)`);
    for (const i of service.instances) {
      const where = i.address ?? `${i.target}:${i.port} (no A record)`;
      const of = i.owner === "registrar" ? `registrar, task ${i.taskId}` : `agent on ${i.hostId}`;
      const task = i.owner === "agent" && i.taskId !== undefined ? `, task ${i.taskId}` : "";
      const detail = i.healthDetail ? ` ${i.healthDetail}` : "";
      lines.push(`    ${where}  ${of}${task}  ${HEALTH_TEXT[i.health]}${detail}`);
    }
  }
  const counted = report.drift.filter((d) => d.drift);
  const pending = report.drift.filter((d) => !d.drift);
  lines.push(
    "",
    `Drift (older than ${report.driftSeconds} s): ${counted.length === 0 ? "none" : counted.length}`,
  );
  for (const d of counted) lines.push(`  ${DRIFT_TITLE[d.kind]}: ${d.detail}`);
  if (pending.length > 0) {
    lines.push(`Pending (tasks younger than ${report.driftSeconds} s): ${pending.length}`);
    for (const d of pending) lines.push(`  ${d.detail}`);
  }
  const stale = report.hosts.filter((h) => h.stale);
  lines.push("", `Hosts: ${report.hosts.length}, stale: ${stale.length === 0 ? "none" : stale.length}`);
  for (const h of report.hosts) {
    const mark = h.stale ? "STALE" : h.inEcs ? "ok" : "GONE";
    lines.push(
      `  ${h.hostId}  ${h.address ?? "no host record"}${h.azId !== undefined ? ` (${h.azId})` : ""}  ${mark}  ${h.instances} instance(s); ${h.detail}`,
    );
  }
  const rs = report.recordSets;
  const quota =
    rs.used !== undefined && rs.limit !== undefined
      ? `${rs.used} of ${rs.limit} (${Math.round((rs.share ?? 0) * 100)}% of the quota)`
      : `quota unknown (${rs.quotaError ?? "not asked"})`;
  lines.push("", `Record sets: ${quota}; ${rs.ours} of ours, ${rs.listed} listed`);
  if (report.notes.length > 0) {
    lines.push("", "Notes");
    for (const n of report.notes) lines.push(`  ${n}`);
  }
  lines.push("", report.driftFound ? "DRIFT: exit status 2" : "no drift");
  return `${lines.join("\n")}\n`;
}
