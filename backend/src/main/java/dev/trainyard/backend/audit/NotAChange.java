package dev.trainyard.backend.audit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a POST endpoint that changes nothing (it only computes an answer from its body, such as
 * validating a spec). The audit log records changes; such calls are audited as reads are, that is
 * not at all, so that an editor validating on every pause in typing does not flood the hash chain.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface NotAChange {}
