/** What every monitor is (control/): started once, stopped once; readings go into the metric stream it was given. */
export interface Monitor {
  start (): void
  stop (): Promise<void>
}
