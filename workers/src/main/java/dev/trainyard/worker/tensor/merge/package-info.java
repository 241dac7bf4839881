/**
 * Merge methods as mergekit defines them — linear, task arithmetic, TIES, DARE, breadcrumbs, SLERP
 * and Model Stock — computed tensor by tensor, and the planning that refuses mismatched inputs
 * before work.
 */
package dev.trainyard.worker.tensor.merge;
