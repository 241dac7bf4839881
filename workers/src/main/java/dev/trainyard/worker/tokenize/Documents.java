package dev.trainyard.worker.tokenize;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Documents read lazily from files: text documents as the trainer reads them ({@code .txt}:
 * separated by an empty line, stripped; {@code .jsonl}: a string {@code text} per line), or
 * conversations {@code chat_render} wrote ({@code {"where", "text", "spans"}} per line).
 */
public final class Documents {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Documents() {}

  /** The text documents of a dataset, in file order. */
  public static Iterator<Document> text(DatasetFiles dataset) {
    return new Reader(dataset.files()) {
      private final StringBuilder doc = new StringBuilder();

      @Override
      Document next(String name, BufferedReader in) throws IOException {
        if (name.endsWith(".txt")) {
          doc.setLength(0);
          int start = -1;
          for (String line; (line = in.readLine()) != null; ) {
            lineNo++;
            if (line.isEmpty()) {
              if (start >= 0 && !doc.toString().isBlank()) {
                return new Document(name + ":" + start, doc.toString().strip(), null);
              }
              doc.setLength(0);
              start = -1;
              continue;
            }
            if (start < 0) {
              start = lineNo;
            } else {
              doc.append('\n');
            }
            doc.append(line);
          }
          return start >= 0 && !doc.toString().isBlank()
              ? new Document(name + ":" + start, doc.toString().strip(), null)
              : null;
        }
        for (String line; (line = in.readLine()) != null; ) {
          lineNo++;
          if (line.isBlank()) {
            continue;
          }
          String where = name + ":" + lineNo;
          return new Document(where, textOf(line, where), null);
        }
        return null;
      }

      @Override
      String nameOf(Path file) {
        return dataset.name(file);
      }
    };
  }

  /**
   * The string {@code text} of a JSON object line, pulled by the streaming parser: no tree is built
   * for the rest of the record (a tenth of the encoding's time otherwise, on a long corpus).
   */
  static String textOf(String line, String where) {
    String text = null;
    try (JsonParser parser = JSON.getFactory().createParser(line)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new InvalidRecordException(where + ": each line must be a JSON object");
      }
      for (JsonToken token; (token = parser.nextToken()) != JsonToken.END_OBJECT; ) {
        if (token == null) {
          throw new InvalidRecordException(where + ": not JSON");
        }
        String field = parser.currentName();
        token = parser.nextToken();
        if ("text".equals(field) && token == JsonToken.VALUE_STRING) {
          text = parser.getText();
        } else {
          parser.skipChildren();
        }
      }
      if (parser.nextToken() != null) {
        throw new InvalidRecordException(where + ": not JSON (more after the object)");
      }
    } catch (IOException e) {
      throw new InvalidRecordException(where + ": not JSON");
    }
    if (text == null) {
      throw new InvalidRecordException(where + ": a text record needs a string 'text'");
    }
    return text;
  }

  /** The conversations of {@code chat_render}'s output. */
  public static Iterator<Document> rendered(Path jsonl) {
    return new Reader(List.of(jsonl)) {
      @Override
      Document next(String name, BufferedReader in) throws IOException {
        String line = in.readLine();
        if (line == null) {
          return null;
        }
        JsonNode record = JSON.readTree(line);
        JsonNode spans = record.path("spans");
        int[] flat = new int[spans.size() * 2];
        for (int i = 0; i < spans.size(); i++) {
          flat[2 * i] = spans.get(i).get(0).asInt();
          flat[2 * i + 1] = spans.get(i).get(1).asInt();
        }
        return new Document(record.path("where").asText(), record.path("text").asText(), flat);
      }

      @Override
      String nameOf(Path file) {
        return file.getFileName().toString();
      }
    };
  }

  /** Walks the files, asking {@link #next(String, BufferedReader)} for one document at a time. */
  private abstract static class Reader implements Iterator<Document> {
    private final Iterator<Path> files;
    private BufferedReader in;
    private String name;
    private Document ahead;
    int lineNo;

    Reader(List<Path> files) {
      this.files = files.iterator();
    }

    /** The next document of the open file, or null at its end. */
    abstract Document next(String name, BufferedReader in) throws IOException;

    abstract String nameOf(Path file);

    @Override
    public boolean hasNext() {
      try {
        while (ahead == null) {
          if (in == null) {
            if (!files.hasNext()) {
              return false;
            }
            Path file = files.next();
            name = nameOf(file);
            lineNo = 0;
            in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
          }
          ahead = next(name, in);
          if (ahead == null) {
            in.close();
            in = null;
          }
        }
        return true;
      } catch (java.nio.charset.MalformedInputException e) {
        throw new InvalidRecordException(name + ":" + (lineNo + 1) + ": not UTF-8 text");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public Document next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Document doc = ahead;
      ahead = null;
      return doc;
    }
  }
}
