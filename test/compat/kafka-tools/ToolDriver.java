import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.utils.internals.Exit;

/**
 * Runs many Kafka command-line tools in one JVM, so the compat tier pays the JVM start once.
 *
 * <p>Reads one JSON request a line on stdin: {"id": 1, "main": "org.apache.kafka.tools.TopicCommand",
 * "args": [...], "stdin": "...", "timeoutMs": 60000}. Calls that class's main with System.in/out/err
 * swapped for buffers and Kafka's Exit procedure turned into an exception, then writes one JSON line
 * {"id", "code", "stdout", "stderr"} on the real stdout. code is the tool's exit status (0 when main
 * returns), or -1 with the error in stderr when main threw, or "timeout".
 */
public class ToolDriver {
  /** Thrown in place of System.exit by Kafka's Exit, so a tool's exit ends only its own call. */
  static final class ExitCalled extends RuntimeException {
    final int status;

    ExitCalled(int status) {
      super(EXIT_MARK + status, null, false, false);
      this.status = status;
    }
  }

  /**
   * Some tools catch Throwable around their own exit call (TopicCommand exits in a finally block
   * inside a catch-all), print it and exit again with 1: the first exit is the tool's real status, and
   * lines naming this mark are the driver's, not the tool's.
   */
  static final String EXIT_MARK = "ToolDriver.exit=";

  static final AtomicReference<Integer> firstExit = new AtomicReference<>();

  public static void main(String[] argv) throws Exception {
    ObjectMapper json = new ObjectMapper();
    InputStream realIn = System.in;
    PrintStream realOut = System.out;
    PrintStream realErr = System.err;
    Exit.Procedure exit =
        (status, message) -> {
          firstExit.compareAndSet(null, status);
          throw new ExitCalled(status);
        };
    Exit.setExitProcedure(exit);
    Exit.setHaltProcedure(exit);
    // Tools register hooks (e.g. the console consumer's) that would pile up in a long-lived JVM.
    Exit.setShutdownHookAdder((name, runnable) -> {});

    BufferedReader requests = new BufferedReader(new InputStreamReader(realIn, StandardCharsets.UTF_8));
    realOut.println("{\"ready\":true}");
    realOut.flush();
    for (String line; (line = requests.readLine()) != null; ) {
      if (line.isBlank()) continue;
      JsonNode request = json.readTree(line);
      List<String> args = new ArrayList<>();
      request.path("args").forEach(a -> args.add(a.asText()));
      String stdin = request.path("stdin").asText("");
      long timeoutMs = request.path("timeoutMs").asLong(60_000);

      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      AtomicReference<Object> code = new AtomicReference<>(0);
      firstExit.set(null);
      System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      Thread tool =
          new Thread(
              () -> {
                try {
                  Class.forName(request.path("main").asText())
                      .getMethod("main", String[].class)
                      .invoke(null, (Object) args.toArray(new String[0]));
                  if (firstExit.get() != null) code.set(firstExit.get());
                } catch (Throwable thrown) {
                  Throwable cause = thrown;
                  while (cause instanceof InvocationTargetException && cause.getCause() != null) {
                    cause = cause.getCause();
                  }
                  if (cause instanceof ExitCalled) {
                    code.set(firstExit.get());
                  } else {
                    code.set(-1);
                    cause.printStackTrace(System.err);
                  }
                }
              },
              "tool-" + request.path("id").asText());
      tool.setDaemon(true);
      tool.start();
      tool.join(timeoutMs);
      if (tool.isAlive()) {
        tool.interrupt();
        code.set("timeout");
      }
      System.out.flush();
      System.err.flush();
      System.setIn(realIn);
      System.setOut(realOut);
      System.setErr(realErr);

      ObjectNode response = json.createObjectNode();
      response.set("id", request.path("id"));
      Object status = code.get();
      if (status instanceof Integer i) response.put("code", i);
      else response.put("code", String.valueOf(status));
      response.put("stdout", out.toString(StandardCharsets.UTF_8));
      StringBuilder toolErr = new StringBuilder();
      for (String errLine : err.toString(StandardCharsets.UTF_8).split("\n", -1)) {
        if (!errLine.contains(EXIT_MARK)) toolErr.append(errLine).append('\n');
      }
      response.put("stderr", toolErr.toString().stripTrailing());
      realOut.println(json.writeValueAsString(response));
      realOut.flush();
    }
  }
}
