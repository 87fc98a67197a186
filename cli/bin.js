#!/usr/bin/env node
// The `fleetlab` bin: registers tsx so the TypeScript sources (and experiment files) run in place.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('./main.ts')
const code = await main(process.argv)
// Kafka and Docker clients may keep sockets open for a moment; the command is done.
process.exit(code)
