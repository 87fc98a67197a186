// `npm run grafana:dashboards`: writes dashboards/grafana/*.json, Grafana dashboards (JSON model, schemaVersion 39)
// to import over the `prometheus` output's metrics (results/outputs/prometheus.ts) and over the InfluxDB sink's
// points (platform/sinks/stores/influxdb.ts, zeelos's `resources` measurement). Grafana is AGPL and is never run
// here: test/dashboards/grafana.test.ts runs every PromQL expression of these files against a real Prometheus that
// scraped a real run, and every InfluxQL query against the real InfluxDB a run's sink wrote to.
// The files are this script's output: change the panels here and run it again.
import { writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { projectRoot } from '../lib/home.ts'

interface Target { expr?: string, query?: string, legend?: string }
interface PanelSpec { title: string, unit?: string, targets: Target[], type?: 'timeseries' | 'stat', w?: number }

const dir = join(projectRoot, 'dashboards', 'grafana')
const run = '{run_id=~"$run_id"}'

function prometheusDashboard (uid: string, title: string, description: string, panels: PanelSpec[]): unknown {
  return {
    __inputs: [{ name: 'DS_PROMETHEUS', label: 'Prometheus', type: 'datasource', pluginId: 'prometheus', pluginName: 'Prometheus' }],
    uid, title, description, tags: ['fleetlab'], schemaVersion: 39, version: 1, editable: true,
    time: { from: 'now-15m', to: 'now' }, refresh: '5s',
    templating: {
      list: [{
        name: 'run_id', label: 'run', type: 'query', datasource: { type: 'prometheus', uid: '${DS_PROMETHEUS}' },
        query: { query: 'label_values(fleetlab_run_elapsed_seconds, run_id)', refId: 'run_id' },
        definition: 'label_values(fleetlab_run_elapsed_seconds, run_id)', refresh: 2, includeAll: true, multi: true, current: {},
      }],
    },
    panels: layout(panels, p => ({
      datasource: { type: 'prometheus', uid: '${DS_PROMETHEUS}' },
      targets: p.targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), expr: t.expr, legendFormat: t.legend ?? '__auto', datasource: { type: 'prometheus', uid: '${DS_PROMETHEUS}' } })),
    })),
  }
}

function influxDashboard (uid: string, title: string, description: string, panels: PanelSpec[]): unknown {
  return {
    __inputs: [{ name: 'DS_INFLUXDB', label: 'InfluxDB (database fleetlab)', type: 'datasource', pluginId: 'influxdb', pluginName: 'InfluxDB' }],
    uid, title, description, tags: ['fleetlab', 'zeelos'], schemaVersion: 39, version: 1, editable: true,
    time: { from: 'now-15m', to: 'now' }, refresh: '10s',
    templating: {
      list: [{
        name: 'ep', label: 'device', type: 'query', datasource: { type: 'influxdb', uid: '${DS_INFLUXDB}' },
        query: 'SHOW TAG VALUES FROM "resources" WITH KEY = "ep"', definition: 'SHOW TAG VALUES FROM "resources" WITH KEY = "ep"',
        refresh: 2, includeAll: true, multi: true, current: {},
      }],
    },
    panels: layout(panels, p => ({
      datasource: { type: 'influxdb', uid: '${DS_INFLUXDB}' },
      targets: p.targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), query: t.query, rawQuery: true, resultFormat: 'time_series', alias: t.legend, datasource: { type: 'influxdb', uid: '${DS_INFLUXDB}' } })),
    })),
  }
}

/** Two panels a row (a `w: 24` panel takes the row), 8 units high. */
function layout (panels: PanelSpec[], source: (p: PanelSpec) => Record<string, unknown>): unknown[] {
  let x = 0
  let y = 0
  return panels.map((p, i) => {
    const w = p.w ?? 12
    if (x + w > 24) { x = 0; y += 8 }
    const panel = {
      id: i + 1, type: p.type ?? 'timeseries', title: p.title, gridPos: { h: 8, w, x, y },
      fieldConfig: { defaults: { unit: p.unit ?? 'short' }, overrides: [] },
      options: p.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'] } } : { legend: { displayMode: 'list', placement: 'bottom' } },
      ...source(p),
    }
    x += w
    return panel
  })
}

const quantiles = (metric: string): Target[] => [50, 95, 99].map(q => ({
  expr: `histogram_quantile(0.${q}, sum by (le) (rate(${metric}_bucket${run}[$__rate_interval])))`, legend: `p${q}`,
}))

const dashboards: Record<string, unknown> = {
  'run-overview': prometheusDashboard('fleetlab-run', 'fleetlab: run overview', 'One run of an experiment: phase, rate, end-to-end latency, lag, thresholds (fleetlab run --out prometheus).', [
    { title: 'phase', type: 'stat', w: 6, targets: [{ expr: `fleetlab_run_phase${run} == 1`, legend: '{{phase}}' }] },
    { title: 'elapsed', type: 'stat', unit: 's', w: 6, targets: [{ expr: `fleetlab_run_elapsed_seconds${run}` }] },
    { title: 'thresholds holding (1) or crossed (0)', type: 'stat', w: 12, targets: [{ expr: `fleetlab_threshold_passed${run}`, legend: '{{threshold}}' }] },
    { title: 'notifications per second: target, sent, delivered', unit: 'reqps', targets: [
      { expr: `fleetlab_rate_target_per_second${run}`, legend: 'target' },
      { expr: `sum(rate(fleetlab_notifications_sent_total${run}[$__rate_interval]))`, legend: 'sent' },
      { expr: `sum(rate(fleetlab_delivered_total${run}[$__rate_interval]))`, legend: 'delivered' },
    ] },
    { title: 'end-to-end latency (device to sink)', unit: 's', targets: quantiles('fleetlab_e2e_latency_seconds') },
    { title: 'consumer lag (records) and mirror lag', targets: [
      { expr: `fleetlab_consumer_lag_records${run}`, legend: 'consumer lag' },
      { expr: `fleetlab_mirror_lag_records${run}`, legend: 'mirror lag' },
    ] },
    { title: 'devices: target, active, registered', targets: [
      { expr: `fleetlab_devices_target${run}`, legend: 'target' },
      { expr: `fleetlab_devices_active${run}`, legend: 'active' },
      { expr: `fleetlab_devices_registered${run}`, legend: 'registered' },
    ] },
    { title: 'devices by gateway: active and registered', w: 24, targets: [
      { expr: `fleetlab_gateway_devices_active${run}`, legend: '{{gateway}} active' },
      { expr: `fleetlab_gateway_devices_registered${run}`, legend: '{{gateway}} registered' },
    ] },
  ]),
  pipeline: prometheusDashboard('fleetlab-pipeline', 'fleetlab: pipeline', 'Records through each stage, edge to sink, and where they are lost or late.', [
    { title: 'records per second at each stage', unit: 'reqps', w: 24, targets: [
      { expr: `sum(rate(fleetlab_notifications_sent_total${run}[$__rate_interval]))`, legend: 'devices sent' },
      { expr: `sum(rate(fleetlab_edge_records_total${run}[$__rate_interval]))`, legend: 'edge Kafka' },
      { expr: `sum(rate(fleetlab_cloud_records_total${run}[$__rate_interval]))`, legend: 'cloud Kafka (mirrored)' },
      { expr: `sum(rate(fleetlab_sink_records_total${run}[$__rate_interval]))`, legend: 'sink read' },
    ] },
    { title: 'not yet delivered (sent - delivered)', targets: [{ expr: `sum(fleetlab_notifications_sent_total${run}) - sum(fleetlab_delivered_total${run})`, legend: 'in flight or lost' }] },
    { title: 'send lateness (schedule to send)', unit: 's', targets: quantiles('fleetlab_send_lateness_seconds') },
    { title: 'duplicates and UDP drops', targets: [
      { expr: `sum(fleetlab_duplicates_total${run})`, legend: 'duplicates' },
      { expr: `sum(fleetlab_udp_drops_total${run})`, legend: 'UDP drops at the LWM2M server' },
    ] },
    { title: 'late sends per second', unit: 'reqps', targets: [{ expr: `sum(rate(fleetlab_notifications_late_total${run}[$__rate_interval]))`, legend: 'late' }] },
  ]),
  autoscaler: prometheusDashboard('fleetlab-autoscaler', 'fleetlab: autoscaler', 'The sink consumer group and the control loop: lag, replicas desired and running, rebalances.', [
    { title: 'sink replicas: desired and running', targets: [
      { expr: `fleetlab_sink_replicas_desired${run}`, legend: 'desired' },
      { expr: `fleetlab_sink_replicas${run}`, legend: 'running' },
    ] },
    { title: 'consumer lag (records)', targets: [{ expr: `fleetlab_consumer_lag_records${run}`, legend: 'lag' }] },
    { title: 'consumer time lag', unit: 's', targets: [{ expr: `fleetlab_consumer_lag_seconds${run}`, legend: 'largest partition' }] },
    { title: 'rebalances (count) and their pause', targets: [
      { expr: `sum(fleetlab_sink_rebalance_pause_seconds_count${run})`, legend: 'rebalances' },
      { expr: `sum(fleetlab_sink_rebalance_pause_seconds_sum${run})`, legend: 'paused, s in all' },
    ] },
  ]),
  services: prometheusDashboard('fleetlab-services', 'fleetlab: services', 'CPU, memory and replicas of every service of the lab (brokers, MirrorMaker 2, LWM2M server, gateways, sinks, runner).', [
    { title: 'CPU by service (cores)', targets: [{ expr: `fleetlab_service_cpu_usage_ratio${run}`, legend: '{{service}}' }] },
    { title: 'memory by service', unit: 'bytes', targets: [{ expr: `fleetlab_service_memory_bytes${run}`, legend: '{{service}}' }] },
    { title: 'replicas by service', targets: [{ expr: `fleetlab_service_replicas${run}`, legend: '{{service}}' }] },
    // a run without errors has no series of this counter: the 0 line says so instead of "no data"
    { title: 'errors by code', targets: [{ expr: `sum by (code) (fleetlab_errors_total${run}) or on() vector(0)`, legend: '{{code}}' }] },
  ]),
  'influxdb-resources': influxDashboard('fleetlab-influxdb', 'fleetlab: sensor data in InfluxDB', 'What the influxdb sink wrote, measurement resources as zeelos\'s InfluxDB connector mapped it: tags ep, path, kind; field value.', [
    { title: 'value by device and resource', w: 24, targets: [{ query: 'SELECT mean("value") FROM "resources" WHERE ("ep" =~ /^$ep$/) AND $timeFilter GROUP BY time($__interval), "ep", "path" fill(none)', legend: '$tag_ep $tag_path' }] },
    { title: 'points written per interval', targets: [{ query: 'SELECT count("value") FROM "resources" WHERE $timeFilter GROUP BY time($__interval) fill(0)', legend: 'points' }] },
    { title: 'points per device per interval', targets: [{ query: 'SELECT count("value") FROM "resources" WHERE ("ep" =~ /^$ep$/) AND $timeFilter GROUP BY time($__interval), "ep" fill(0)', legend: '$tag_ep' }] },
  ]),
}

await mkdir(dir, { recursive: true })
for (const [name, json] of Object.entries(dashboards)) {
  const path = join(dir, `${name}.json`)
  await writeFile(path, JSON.stringify(json, null, 2) + '\n')
  process.stderr.write(`wrote ${path}\n`)
}
