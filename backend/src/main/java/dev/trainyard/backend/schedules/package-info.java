/**
 * Cron schedules on templates: their definition (a cron expression in a time zone, launch
 * parameters, an overlap policy, a catch-up window, paused or not), the ticks each one decided, and
 * the engine that fires them exactly once across restarts and replicas: a database lease picks the
 * one replica that fires, and every tick is a unique row launched with an idempotency key. The
 * engine is behind {@link dev.trainyard.backend.schedules.ScheduleEngine} so that a Temporal
 * cluster's Schedules can take its place (docs/schedules.md).
 */
package dev.trainyard.backend.schedules;
