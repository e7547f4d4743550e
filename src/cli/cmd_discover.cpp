// certctl discover tls HOST:PORT... [--file LIST] [--sni NAME] [--parallel N] [--timeout S]
// certctl discover files DIR...
// Certificates found at TLS endpoints and in files become records of source `discovered`.
#include "cli/common.hpp"
#include "cli/named.hpp"

#include <certctl/output.hpp>

#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

struct TlsOpts {
  std::vector<std::string> targets;
  std::string file, sni;
  int parallel = 16;
  int timeout = 5;
  bool json = false;
};

struct FilesOpts {
  std::vector<std::string> dirs;
  bool json = false;
};

/// The report: a table (or JSON) on stdout, each failure on stderr, a summary note, and the
/// first failure's exit code.
Status render(Globals& g, const lifecycle::DiscoverReport& report, UnixTime now, bool json, std::string_view what) {
  if (json) {
    print_out(output::discover_json(report, now) + "\n");
  } else {
    for (const auto& i : report.items)
      if (i.error && i.outcome == lifecycle::DiscoverOutcome::Failed) fmt::print(stderr, "certctl: {}\n", i.error->text());
      else if (i.error) note(g, fmt::format("skipped: {}", i.error->text()));
    if (!report.items.empty()) print_out(output::discover_table(report, now));
    note(g, fmt::format("{} new, {} seen again, {} changed, {} skipped, {} failed{}", report.count(lifecycle::DiscoverOutcome::New),
                        report.count(lifecycle::DiscoverOutcome::SeenAgain), report.count(lifecycle::DiscoverOutcome::Changed),
                        report.count(lifecycle::DiscoverOutcome::Skipped), report.count(lifecycle::DiscoverOutcome::Failed), what));
  }
  g.exit_override = report.exit_code();
  return ok();
}

}  // namespace

void setup_discover(CLI::App& app, Globals& g) {
  CLI::App* disc = group(app, "discover", "Find certificates at TLS endpoints or in files and keep track of them");
  CLI::App* tls = command<TlsOpts>(
      *disc, g, "tls", "Connect to TLS servers and record the certificate each presents",
      [](CLI::App& sub, TlsOpts& o) {
        sub.add_option("target", o.targets, "HOST:PORT, [IPV6]:PORT or an IPv4 range A.B.C.D/N:PORT (N at least 20)");
        sub.add_option("--file", o.file, "Read more targets from FILE, one per line ('#' comments)");
        sub.add_option("--sni", o.sni, "Send NAME as the server name (default: the host, when it is a name)");
        sub.add_option("--parallel", o.parallel, "Connections at once (1 to 64)")->capture_default_str();
        sub.add_option("--timeout", o.timeout, "Seconds for each connection and handshake (1 to 60)")->capture_default_str();
        sub.add_flag("--json", o.json, "Print a JSON document");
      },
      [](Globals& gl, TlsOpts& o) -> Status {
        gl.json_errors = o.json;
        std::vector<std::string> specs = o.targets;
        if (!o.file.empty()) {
          TRY_ASSIGN(std::vector<std::string> more, lifecycle::read_target_file(o.file));
          specs.insert(specs.end(), more.begin(), more.end());
        }
        lifecycle::DiscoverTlsRequest req;
        TRY_ASSIGN(req.targets, lifecycle::parse_tls_targets(specs, o.sni));
        req.parallel = o.parallel;
        req.timeout = std::chrono::seconds(o.timeout);
        TRY_ASSIGN(Session s, open_session(gl));
        TRY_ASSIGN(lifecycle::DiscoverReport report, lifecycle::discover_tls(s.ctx(), req));
        return render(gl, report, s.clock.now(), o.json, fmt::format(" ({} target(s))", req.targets.size()));
      });
  tls->footer(
      "Each place (host, port and server name) is one record of source 'discovered', named\n"
      "tls-HOST-PORT[-sni-NAME]: the chain as served, no key. The same certificate again updates\n"
      "its last-seen time; another one becomes a new version. A certificate that a managed or\n"
      "imported record holds is linked to it. Nothing is verified for the handshake to go on; the\n"
      "result against the system's roots is kept (tls verify). At most 4096 targets per run.\n"
      "Exit status: 0, or that of the first target that failed (6 when a server cannot be reached).");
  CLI::App* files = command<FilesOpts>(
      *disc, g, "files", "Record the certificates in PEM, DER and PKCS#12 files below directories",
      [](CLI::App& sub, FilesOpts& o) {
        sub.add_option("dir", o.dirs, "Directories to walk (or single files)")->required();
        sub.add_flag("--json", o.json, "Print a JSON document");
      },
      [](Globals& gl, FilesOpts& o) -> Status {
        gl.json_errors = o.json;
        TRY_ASSIGN(Session s, open_session(gl));
        TRY_ASSIGN(lifecycle::DiscoverReport report, lifecycle::discover_files(s.ctx(), o.dirs));
        return render(gl, report, s.clock.now(), o.json, fmt::format(" ({} file(s) read)", report.files_read));
      });
  files->footer(
      "Symbolic links are not followed; files over 1 MiB are not read. Each certificate that is not\n"
      "a CA (with the CA certificates after it as its chain), or the one certificate of a file, is\n"
      "one record named file-<hash of path>. A PKCS#12 file is read only without a password (one\n"
      "with a password is skipped, as is a file of CA certificates only).\n"
      "Exit status: 0, or that of the first file that failed (4 for a damaged certificate file).");
}

}  // namespace certctl::cli
