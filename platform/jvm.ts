import { execFile } from 'node:child_process'
import { access, readdir } from 'node:fs/promises'
import { promisify } from 'node:util'
import { SetupMissingError } from '../lib/errors.ts'
import { jarDir } from '../lib/home.ts'

const run = promisify(execFile)

/** Absolute path of the java binary: JAVA_HOME/bin/java, else the one on PATH resolved through its symlinks. */
export async function javaBinary (env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.JAVA_HOME !== undefined && env.JAVA_HOME !== '') return `${env.JAVA_HOME}/bin/java`
  try {
    const { stdout } = await run('sh', ['-c', 'readlink -f "$(command -v java)"'])
    const path = stdout.trim()
    if (path !== '') return path
  } catch { /* fall through */ }
  throw new SetupMissingError('java not found on PATH', 'install Java 17 or later (Debian: apt-get install openjdk-17-jre-headless), then run: npm run setup')
}

/** The classpath of the jars setup fetched; a clear error when the cache is missing. */
export async function kafkaClasspath (home: string): Promise<string> {
  const dir = jarDir(home)
  try {
    await access(dir)
    const jars = (await readdir(dir)).filter(f => f.endsWith('.jar'))
    if (!jars.some(j => j.startsWith('kafka_2.13-')) || !jars.some(j => j.startsWith('connect-mirror-'))) {
      throw new Error('incomplete')
    }
  } catch {
    throw new SetupMissingError(`the Kafka jars are not in ${dir} (jar cache missing or incomplete)`,
      'run: npm run setup (it fetches them from Maven Central; FLEETLAB_HOME moves the cache)')
  }
  return `${dir}/*`
}

export function log4jConfig (): string {
  // Kafka 3.x logs through reload4j. INFO to stdout keeps startup visible in the service log;
  // the chatty request and state-change loggers stay at WARN.
  return [
    'log4j.rootLogger=INFO, stdout',
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.state.change.logger=WARN',
    'log4j.logger.kafka.controller=WARN',
    'log4j.logger.org.apache.kafka.clients=WARN',
    'log4j.logger.org.apache.kafka.common.utils.AppInfoParser=WARN',
    'log4j.logger.org.apache.kafka.connect.runtime.WorkerConfig=WARN',
    'log4j.logger.org.apache.kafka.common.config.AbstractConfig=WARN',
    '',
  ].join('\n')
}

export function jvmOptions (heapMb: number, log4jPath: string): string[] {
  return [
    '-Xms64m',
    `-Xmx${heapMb}m`,
    '-XX:+UseSerialGC', // one lab broker per core at most: the parallel collectors only add threads and RSS
    '-XX:MaxMetaspaceSize=128m',
    '-XX:ReservedCodeCacheSize=64m',
    '-Xss512k',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4jPath}`,
  ]
}
