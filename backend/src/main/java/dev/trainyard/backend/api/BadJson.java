package dev.trainyard.backend.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.util.Collection;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A body Jackson could not read, described in JSON's terms for the client who sent it: where (the
 * JSON path, line and column) and what was expected there. Jackson's own messages name the Java
 * types it binds to ({@code `java.lang.Integer`}, our request records), which are none of the
 * client's business.
 */
record BadJson(String path, String message, Integer line, Integer column) {
  /** Where Jackson appends the input location, or the start of an unclosed array or object. */
  private static final Pattern LOCATION =
      Pattern.compile(
          "\\s*\\(start marker at \\[Source:.*?\\]\\)|\\s*at \\[Source:.*", Pattern.DOTALL);

  /** Anything left that names a type: backticked names, qualified or binary class names. */
  private static final Pattern TYPE_NAME =
      Pattern.compile("`|\\b(?:java|javax|jakarta|dev|com|org)\\.\\w|\\w\\$\\w");

  static BadJson of(JsonProcessingException e) {
    String path = "$";
    if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
      path =
          "$"
              + mapping.getPath().stream()
                  .map(
                      ref ->
                          ref.getFieldName() != null
                              ? "." + ref.getFieldName()
                              : "[" + ref.getIndex() + "]")
                  .collect(Collectors.joining());
    }
    JsonLocation at = e.getLocation();
    Integer line = at != null && at.getLineNr() > 0 ? at.getLineNr() : null;
    Integer column = at != null && at.getColumnNr() > 0 ? at.getColumnNr() : null;
    return new BadJson(path, message(e), line, column);
  }

  private static String message(JsonProcessingException e) {
    if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
      return "expected " + kind(mismatch.getTargetType());
    }
    String original =
        e.getOriginalMessage() == null
            ? ""
            : LOCATION.matcher(e.getOriginalMessage()).replaceAll("");
    if (original.isBlank() || TYPE_NAME.matcher(original).find()) {
      return e instanceof StreamReadException ? "not valid JSON" : "not a valid value here";
    }
    return original;
  }

  /** The JSON kind of value a Java type is read from. */
  static String kind(Class<?> type) {
    if (type == String.class || type == char.class || type == Character.class || type.isEnum()) {
      return "a string";
    }
    if (type == Integer.class
        || type == int.class
        || type == Long.class
        || type == long.class
        || type == Short.class
        || type == short.class
        || type == java.math.BigInteger.class) {
      return "an integer";
    }
    if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
      return "a number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type.isArray() || Collection.class.isAssignableFrom(type)) {
      return "an array";
    }
    return Map.class.isAssignableFrom(type) || !type.isPrimitive() ? "an object" : "a value";
  }

  /** E.g. {@code $.version (line 2, column 13): expected an integer}. */
  String detail() {
    String where = line == null ? path : path + " (line " + line + ", column " + column + ")";
    return where + ": " + message;
  }
}
