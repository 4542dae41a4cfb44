// Credentials in shapes beyond `name = "value"`: URL passwords holding unencoded `#`, `/` or `?`,
// private keys inside comment blocks, user/password pairs in auth and connect calls, and passwords
// on the command lines of mysql, curl, sshpass and redis-cli. Each detector comes with the ordinary
// code that looks like it and must stay byte-identical.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes.hpp"
#include "redact/redact.hpp"

namespace g2d::redact {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace test;  // NOLINT: the fakes

// `source` with "@@" replaced by `secret` must come back as `expected` (with "@@" replaced by the
// placeholder of `kind`), one secret found on the line of the placeholder.
void expect_only(std::string_view source, std::string_view secret, std::string_view kind) {
  SCOPED_TRACE(source);
  const std::string planted = plant(source, secret);
  Redacted r = redact_secrets(planted);
  EXPECT_EQ(r.text, plant(source, "<redacted:" + std::string(kind) + ">"));
  ASSERT_EQ(r.found.size(), 1U) << r.text;
  EXPECT_EQ(r.found[0].kind, kind);
  EXPECT_EQ(r.found[0].line, line_of(planted, secret));
  EXPECT_EQ(redact_secrets(r.text).text, r.text);  // the placeholder is not taken for a secret
}

void expect_untouched(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) {
    Redacted r = redact_secrets(line + "\n");
    EXPECT_EQ(r.text, line + "\n");
    EXPECT_TRUE(r.found.empty()) << line;
  }
}

// ---------------------------------------------------------------------------------------------
// URL passwords with reserved characters left unencoded.

TEST(RedactUrls, PasswordWithHashSlashOrQuestionMark) {
  expect_only("DATABASE_URL=postgres://admin:@@@db.example.com:5432/app\n", "Vq7#x/y?z",
              "url-password");
  expect_only("engine = create_engine(\"mysql://report:@@@10.0.0.5/sales\")\n", "p4/ss#W0rd",
              "url-password");
  expect_only("amqp://guest:@@@mq.internal//\n", "Zr5?tT0p", "url-password");
  expect_only("redis://:@@@cache:6379/0\n", "a#b" + fake(k_alnum, 10, 1), "url-password");
}

TEST(RedactUrls, PortsPathsAndAddressesAreNotPasswords) {
  expect_untouched({
      "see http://localhost:8080/users/bob@example.com",
      "https://example.com:443/#/login?u=me@example.io",
      "https://cdn.example.com:8443/avatars/bob@2x.png",
      "https://example.com/redirect?to=http://a:b@c",
      "https://example.com/a:b/c@d.example.com",
      "ssh://git@github.com:22/acme/app.git",
      "git+ssh://git@github.com:acme/app.git",
      "http://[::1]:8080/x@y.example.com",
      "https://user@host.example.com:8080/x?y=a@b.example.com",
      "postgres://user:${PGPASSWORD}@localhost/db",
      "http://example.com:80#frag@x.example.com",
  });
}

// ---------------------------------------------------------------------------------------------
// Private keys inside comments.

std::string commented_key(std::string_view open, std::string_view leader, std::string_view close,
                          const std::vector<std::string>& body) {
  std::string out(open);
  out += std::string(leader) + "-----BEGIN RSA PRIVATE KEY-----\n";
  for (const std::string& line : body)
    out += std::string(leader) + line + "\n";
  out += std::string(leader) + "-----END RSA PRIVATE KEY-----\n";
  out += std::string(close) + "use(key)\n";
  return out;
}

TEST(RedactPem, KeyInsideCommentLines) {
  struct Form {
    std::string name, open, leader, close;
  };
  const std::vector<Form> forms = {
      {"hash", "", "# ", ""},
      {"hash_no_space", "", "#", ""},
      {"c_block", "/*\n", " * ", " */\n"},
      {"sql", "", "-- ", ""},
      {"slashes", "", "// ", ""},
      {"tex", "", "% ", ""},
      {"indented_hash", "", "    # ", ""},
  };
  uint32_t seed = 40;
  for (const Form& f : forms) {
    SCOPED_TRACE(f.name);
    std::vector<std::string> body = {fake(k_b64, 64, ++seed), fake(k_b64, 64, ++seed),
                                     fake(k_b64, 30, ++seed) + "=="};
    std::string source = commented_key(f.open, f.leader, f.close, body);
    Redacted r = redact_secrets(source);
    EXPECT_EQ(newlines(r.text), newlines(source));
    for (const std::string& line : body)
      EXPECT_THAT(r.text, Not(HasSubstr(line)));
    EXPECT_THAT(r.text, HasSubstr(f.leader + "<redacted:private-key>\n"));
    EXPECT_THAT(r.text, HasSubstr(f.leader + "-----END RSA PRIVATE KEY-----\n"));
    EXPECT_THAT(r.text, HasSubstr("use(key)\n"));
    EXPECT_EQ(r.count("private-key"), 1U) << r.text;
  }
}

TEST(RedactPem, CommentedMarkersWithoutAKeyAreLeft) {
  const std::vector<std::string> sources = {
      "# -----BEGIN RSA PRIVATE KEY-----\n# (paste your key here)\n"
      "# -----END RSA PRIVATE KEY-----\n",
      " * -----BEGIN PRIVATE KEY-----\n * ...\n * -----END PRIVATE KEY-----\n",
      "# -----BEGIN OPENSSH PRIVATE KEY-----\n# see docs/keys.md for how to make one\n",
      "-- -----BEGIN EC PRIVATE KEY-----\n-- MIIE...\n-- -----END EC PRIVATE KEY-----\n",
  };
  for (const std::string& source : sources) {
    Redacted r = redact_secrets(source);
    EXPECT_EQ(r.text, source);
    EXPECT_TRUE(r.found.empty()) << source;
  }
}

// ---------------------------------------------------------------------------------------------
// User/password pairs.

TEST(RedactPairs, PasswordInAnAuthTupleOrCall) {
  const std::string pw = "s3cr3t-P4ss";
  expect_only("driver = GraphDatabase.driver(uri, auth=(\"neo4j\", \"@@\"))\n", pw, "password");
  expect_only("r = requests.get(url, auth=('admin', '@@'))\n", pw, "password");
  expect_only("session.auth = (\"deploy\", \"@@\")\n", pw, "password");
  expect_only("es = Elasticsearch(hosts, http_auth=(\"elastic\", \"@@\"))\n", pw, "password");
  expect_only("es = Elasticsearch(hosts, basic_auth=[user, \"@@\"])\n", pw, "password");
  expect_only("conn = client.connect(host, (\"admin\", \"@@\"))\n", pw, "password");
  expect_only("auth = HTTPBasicAuth(\"admin\", \"@@\")\n", pw, "password");
  expect_only("server.login(\"me@example.com\", \"@@\")\n", pw, "password");
  expect_only("req.SetBasicAuth(\"admin\", \"@@\")\n", pw, "password");
  expect_only("new UsernamePasswordCredentials(\"admin\", \"@@\");\n", pw, "password");
  expect_only("$client = new Client(['auth' => ['admin', '@@']]);\n", pw, "password");
  expect_only("  auth: [\"admin\", \"@@\"],\n", pw, "password");
}

TEST(RedactPairs, OrdinaryPairsAndVariablesAreLeft) {
  expect_untouched({
      "routes = [(\"GET\", \"/api/v1/users\"), (\"POST\", \"/api/v1/users\")]",
      "app.route(\"GET\", \"/path\")",
      "r = requests.get(url, auth=(\"user\", password))",
      "r = requests.get(url, auth=(user, pwd))",
      "r = requests.get(url, auth=(\"user\", \"pass\"))",
      "r = requests.get(url, auth=(os.environ[\"USER\"], os.environ[\"PASS\"]))",
      "server.login(username, password)",
      "sock.connect((\"example.com\", 443))",
      "sock.connect((\"db.example.com\", \"5432\"))",
      "db.connect(\"127.0.0.1\", \"app_db2\")",
      "client.login(\"alice\", \"correct horse battery\")",
      "headers = auth=(\"Bearer\", token)",
      "pairs = [(\"a\", \"b\"), (\"c\", \"d\")]",
      "auth = HTTPBasicAuth(user, getpass.getpass())",
      "auth=(\"admin\", f\"{password}\")",
      "auth_methods = (\"basic\", \"digest-md5\")",
  });
}

// ---------------------------------------------------------------------------------------------
// Passwords on command lines.

TEST(RedactCommands, PasswordFlags) {
  const std::string pw = "S3cretPw9";
  expect_only("mysql -u root -p@@ shop < dump.sql\n", pw, "password");
  expect_only("mysqldump -uroot -p@@ --all-databases > all.sql\n", pw, "password");
  expect_only("mysql -h db -u app -p'@@' app\n", "Vq7#x y", "password");
  expect_only("os.system(\"mysql -h db -u app -p@@ app\")\n", pw, "password");
  expect_only("subprocess.run([\"mysql\", \"-u\", \"root\", \"-p@@\", \"shop\"])\n", pw,
              "password");
  expect_only("curl -u admin:@@ https://api.example.com/v1/me\n", pw, "password");
  expect_only("curl -s --user \"deploy:@@\" https://ci.example.com\n", pw, "password");
  expect_only("curl -uadmin:@@ https://api.example.com\n", pw, "password");
  expect_only("sshpass -p '@@' ssh deploy@host\n", pw, "password");
  expect_only("sshpass -p@@ ssh deploy@host\n", pw, "password");
  expect_only("redis-cli -h cache -a @@ ping\n", pw, "password");
  expect_only("RUN /usr/bin/mysql -uroot -p@@ -e 'CREATE DATABASE app'\n", pw, "password");
}

TEST(RedactCommands, OtherFlagsAndVariablesAreLeft) {
  expect_untouched({
      "mkdir -p build/out",
      "ssh -p 22 deploy@host",
      "cp -p a.txt b.txt",
      "scp -P 2222 -p file host:",
      "mysql -p",
      "mysql -u root -p shop",
      "mysql -P 3306 -h db -u root",
      "mysql -u root -p$MYSQL_PWD shop",
      "mysql -u root -p\"$MYSQL_PWD\" shop",
      "mysql -u root -p${MYSQL_PWD} shop",
      "mysql -u root -pYOUR_PASSWORD shop",
      "mysql -u root -p<password> shop",
      "mysql -u root -ppassword shop",
      "mysql --password shop",
      "mysql -u root shop | grep -p pattern",
      "curl -u \"$USER:$TOKEN\" https://api.example.com",
      "curl -u \"${USER}:${PASS}\" https://api.example.com",
      "curl -u $API_KEY: https://api.example.com",
      "curl -u admin https://api.example.com",
      "curl -o out.json -u admin: https://api.example.com",
      "sshpass -f ~/.pw ssh host",
      "sshpass -e ssh host",
      "redis-cli -a \"$REDIS_PASSWORD\" ping",
      "git log -p",
      "ps -p 1234 -o comm=",
      "tar -xzpf archive.tar.gz",
      "mysql_config --cflags -p",
      "echo my -pS3cretPw9",
  });
}

TEST(RedactCommands, ATokenRedactedAsAUserIsLeftOnTheSecondPass) {
  // Found by the redact fuzz target: a token given to curl -u without a colon became
  // `<redacted:gitlab-token>`, whose ':' the second pass took for user:password.
  const std::string token = "glpat-" + fake(k_alnum, 20, 990);
  for (std::string_view flag : {"-u ", "-u=", "--user "}) {
    SCOPED_TRACE(flag);
    const std::string source =
        "curl " + std::string(flag) + token + " https://gitlab.example.com\n";
    Redacted once = redact_secrets(source);
    EXPECT_THAT(once.text, HasSubstr("<redacted:gitlab-token> https"));
    Redacted twice = redact_secrets(once.text);
    EXPECT_EQ(twice.text, once.text);
    EXPECT_TRUE(twice.found.empty());
  }
  // An empty user: the separator stays the first ':' (the password holds "xxx", a placeholder).
  const Redacted first = redact_secrets("curl -u:xapp-lmnoxxx02r:q7 https://x\n");
  EXPECT_EQ(first.text, "curl -u:<redacted:slack-token>:q7 https://x\n");
  EXPECT_EQ(redact_secrets(first.text).text, first.text);
  // A password after such a placeholder is still one.
  expect_only("curl -u <redacted:gitlab-token>:@@ https://x\n", "S3cretPw9x", "password");
}

TEST(RedactCommands, AQuotedValueIsNotReadAgainAsArguments) {
  // Found by the redact fuzz target: a '`' inside the quoted value ended the command on the first
  // pass; once redacted, the second pass read on and redacted the `-u:hu` glued after the quote.
  for (std::string_view source : {"curl -u\":`h\"-u:hu\n", "curl -u \":&u\"-u:au\n"}) {
    const Redacted once = redact_secrets(source);
    EXPECT_EQ(redact_secrets(once.text).text, once.text) << source;
  }
}

}  // namespace
}  // namespace g2d::redact
