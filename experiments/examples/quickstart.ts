// Quickstart: does the whole pipeline work on this machine, end to end, and how fast is it when lightly loaded?
//
//   fleetlab run experiments/examples/quickstart.ts
//
// What it shows, in under two minutes (15-25 s of it starting the embedded platform):
// - 200 virtual LWM2M devices register with the lab's LWM2M server, ramping from 20 to 200 over 15 s (paced, not a surge);
// - each device sends a temperature sample (IPSO 3303) once a second in SenML CBOR, traced with device id, sequence
//   number and intended send time; the server publishes each notification in Avro to the edge Kafka, MirrorMaker 2
//   copies it to the cloud Kafka, and the file sink consumer writes it to results/runs/<run id>/;
// - 30 s at the full 200/s, then up to 15 s for what is still in flight to arrive;
// - the run reconciles sent = delivered + lost and passes only if the end-to-end p99 latency (from the intended send
//   time, so a slow pipeline cannot hide) stays under one second and nothing is lost.
import { LinearExperiment } from '../index.ts'

export default new LinearExperiment({
  name: 'quickstart',
  description: '200 devices at 1/s through edge Kafka, MirrorMaker 2 and cloud Kafka to the file sink',
  workload: { devices: { from: 20, to: 200 }, rate: '1/s', rampDuration: '15s', hold: '30s' },
  drain: '15s',
  thresholds: { 'e2e.p99': '<1s', loss: '==0' },
})
