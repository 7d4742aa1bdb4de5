import com.sun.tools.attach.VirtualMachine;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Prints how many requests of each Kafka API a running broker has served so far ("Produce 3161"),
 * from its {@code kafka.network:type=RequestMetrics,name=RequestsPerSec} meters: it attaches to the
 * broker's JVM by process id and starts its local JMX agent, so the broker needs no JMX port.
 * The capacity bench reads it before and after a run.
 */
public class BrokerRequests {
  public static void main(String[] args) throws Exception {
    VirtualMachine vm = VirtualMachine.attach(args[0]);
    String url = vm.startLocalManagementAgent();
    vm.detach();
    try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(url))) {
      MBeanServerConnection server = connector.getMBeanServerConnection();
      for (ObjectName name : server.queryNames(new ObjectName("kafka.network:type=RequestMetrics,name=RequestsPerSec,*"), null)) {
        // One meter per request version; the caller adds them up.
        System.out.println(name.getKeyProperty("request") + "\t" + server.getAttribute(name, "Count"));
      }
    }
  }
}
