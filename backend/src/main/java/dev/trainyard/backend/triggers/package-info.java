/**
 * Launch triggers: a template launched when an event happens (a dataset gets a version, an alias
 * moves, a run of a template ends with a status), with parameters bound from the event. Fired once
 * per (trigger, event), and each triggered run records what triggered it.
 */
package dev.trainyard.backend.triggers;
