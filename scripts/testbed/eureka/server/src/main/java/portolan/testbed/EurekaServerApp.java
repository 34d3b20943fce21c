package portolan.testbed;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cloud.netflix.eureka.server.EnableEurekaServer;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/** Spring Cloud Netflix Eureka Server for portolan's test bed. */
@SpringBootApplication
@EnableEurekaServer
public class EurekaServerApp {
  public static void main(String[] args) {
    SpringApplication.run(EurekaServerApp.class, args);
  }

  /** With testbed.basic-auth=USER:PASSWORD set, every request must carry those credentials (401 otherwise). */
  @Component
  @Order(Ordered.HIGHEST_PRECEDENCE)
  static class BasicAuth extends OncePerRequestFilter {
    private final byte[] expected;

    BasicAuth(@Value("${testbed.basic-auth:}") String userPassword) {
      expected = userPassword.isEmpty() ? null
          : ("Basic " + Base64.getEncoder().encodeToString(userPassword.getBytes(StandardCharsets.UTF_8)))
              .getBytes(StandardCharsets.UTF_8);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
        throws ServletException, IOException {
      String given = req.getHeader("Authorization");
      if (expected == null || (given != null
          && MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8)))) {
        chain.doFilter(req, res);
        return;
      }
      res.setHeader("WWW-Authenticate", "Basic realm=\"eureka\"");
      res.sendError(HttpServletResponse.SC_UNAUTHORIZED);
    }
  }
}
