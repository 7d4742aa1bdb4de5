import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;

/**
 * Prints, for each key on stdin (one per line, UTF-8), the partition the Java producer's built-in
 * partitioner gives it among N partitions (args[0]): toPositive(murmur2(key)) % N. Run with
 * Kafka's jars on the class path: java -cp '.duplex/kafka/lib/*' test/bench/java/Partitions.java 12
 */
public class Partitions {
  public static void main(String[] args) throws Exception {
    int partitions = Integer.parseInt(args[0]);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      byte[] key = line.getBytes(StandardCharsets.UTF_8);
      out.append(BuiltInPartitioner.partitionForKey(key, partitions)).append('\n');
    }
    System.out.print(out);
  }
}
