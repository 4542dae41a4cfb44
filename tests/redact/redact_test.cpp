// Secret redaction: planted secrets of every kind in realistic code (Python, JS/TS, Go, YAML,
// .env, JSON, C, Ruby, PHP, Java, TOML, shell) must be gone, named by their placeholder, counted
// per kind, with every line keeping its number; ordinary code must come back byte-identical; and
// hostile inputs (a 1 MB line, a 5 MB file) must finish.
//
// The fake secrets are assembled at run time from split prefixes and seeded pseudo-random bodies,
// so this file itself holds nothing a secret scanner (or git2dataset) would flag.
#include "redact/redact.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes.hpp"

namespace g2d::redact {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace test;  // NOLINT: the fakes

struct Planted {
  std::string name;
  std::string source;  // with "@@" where the secret goes
  std::string secret;
  std::string kind;
};

std::string aws_access_key(uint32_t seed) {
  return "AK"
         "IA" +
         fake(k_upper_digits, 16, seed);
}
std::string github_token(uint32_t seed) {
  return "gh"
         "p_" +
         fake(k_alnum, 36, seed);
}

std::vector<Planted> planted_tokens() {
  return {
      {"aws_access_key_python",
       "import boto3\n\ns3 = boto3.client(\n    \"s3\",\n"
       "    aws_access_key_id=\"@@\",\n    region_name=\"eu-west-1\",\n)\n",
       aws_access_key(1), "aws-access-key"},
      {"aws_session_key_js",
       "const creds = {\n  accessKeyId: '@@',\n  sessionToken: "
       "process.env.AWS_SESSION_TOKEN,\n};\n",
       "AS"
       "IA" +
           fake(k_upper_digits, 16, 2),
       "aws-access-key"},
      {"aws_secret_ini",
       "[default]\naws_access_key_id = AKIA_SEE_VAULT\naws_secret_access_key = @@\n",
       fake(k_b64, 40, 3), "aws-secret-key"},
      {"aws_secret_python", "AWS_SECRET_ACCESS_KEY = \"@@\"\n", fake(k_b64, 40, 4),
       "aws-secret-key"},
      {"gcp_api_key_js", "const maps = new google.maps.Map(el, {});\nconst mapsKey = \"@@\";\n",
       "AI"
       "za" +
           fake(k_b64url, 35, 5),
       "gcp-api-key"},
      {"gcp_oauth_secret_json",
       "{\n  \"web\": {\n    \"client_id\": \"1234.apps.example.com\",\n"
       "    \"client_secret\": \"@@\"\n  }\n}\n",
       "GOCS"
       "PX-" +
           fake(k_b64url, 28, 6),
       "gcp-oauth-secret"},
      {"azure_connection_string_csharp",
       "var conn = \"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=@@;"
       "EndpointSuffix=core.windows.net\";\nvar client = new BlobServiceClient(conn);\n",
       fake(k_b64, 86, 7) + "==", "azure-storage-key"},
      {"github_token_go",
       "package main\n\nfunc client() *github.Client {\n\treturn github.NewClient(nil)."
       "WithAuthToken(\"@@\")\n}\n",
       github_token(8), "github-token"},
      {"github_oauth_token_shell", "git clone https://oauth2:@@@github.com/acme/app.git\n",
       "gh"
       "o_" +
           fake(k_alnum, 36, 9),
       "github-token"},
      {"github_fine_grained_yaml", "env:\n  GH_TOKEN: @@\n",
       "github"
       "_pat_" +
           fake(k_alnum, 22, 10) + "_" + fake(k_alnum, 59, 11),
       "github-token"},
      {"gitlab_token_yaml", "gitlab:\n  url: https://gitlab.example.com\n  private_token: @@\n",
       "gl"
       "pat-" +
           fake(k_b64url, 20, 12),
       "gitlab-token"},
      {"slack_bot_token_python",
       "from slack_sdk import WebClient\n\nclient = WebClient(token=\"@@\")\n",
       "xo"
       "xb-" +
           fake("0123456789", 12, 13) + "-" + fake("0123456789", 13, 14) + "-" +
           fake(k_alnum, 24, 15),
       "slack-token"},
      {"slack_webhook_js",
       "await fetch(\"https://hooks.slack.com/services/@@\", { method: \"POST\", body });\n",
       "T" + fake(k_upper_digits, 8, 16) + "/B" + fake(k_upper_digits, 8, 17) + "/" +
           fake(k_alnum, 24, 18),
       "slack-webhook"},
      {"stripe_live_ruby", "require 'stripe'\nStripe.api_key = '@@'\n",
       "sk"
       "_live_" +
           fake(k_alnum, 24, 19),
       "stripe-key"},
      {"stripe_restricted_env", "STRIPE_KEY=@@\n",
       "rk"
       "_live_" +
           fake(k_alnum, 24, 20),
       "stripe-key"},
      {"openai_project_python", "from openai import OpenAI\n\nclient = OpenAI(api_key=\"@@\")\n",
       "sk"
       "-proj-" +
           fake(k_b64url, 74, 21) +
           "T3Blbk"
           "FJ" +
           fake(k_b64url, 74, 22),
       "openai-api-key"},
      {"openai_legacy_ts", "const openai = new OpenAI({ apiKey: \"@@\" });\n",
       "sk"
       "-" +
           fake(k_alnum, 48, 23),
       "openai-api-key"},
      {"anthropic_ts", "const anthropic = new Anthropic({\n  apiKey: '@@',\n});\n",
       "sk"
       "-ant-api03-" +
           fake(k_b64url, 93, 24) + "AA",
       "anthropic-api-key"},
      {"huggingface_shell",
       "#!/bin/sh\nexport HF_TOKEN=@@\nhuggingface-cli login --token \"$HF_TOKEN\"\n",
       "hf"
       "_" +
           fake(k_letters, 34, 25),
       "huggingface-token"},
      {"npm_npmrc", "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=@@\n",
       "np"
       "m_" +
           fake(k_alnum, 36, 26),
       "npm-token"},
      {"pypi_pypirc", "[pypi]\nusername = __token__\npassword = @@\n",
       "py"
       "pi-AgEIcHlwaS5vcmc" +
           fake(k_b64url, 70, 27),
       "pypi-token"},
      {"twilio_php", "<?php\n$apiKeySid = \"@@\";\n$client = new Client($apiKeySid, $secret);\n",
       "S"
       "K" +
           fake(k_hex, 32, 28),
       "twilio-api-key"},
      {"sendgrid_java",
       "public class Mailer {\n  private static final String SENDGRID = \"@@\";\n}\n",
       "S"
       "G." +
           fake(k_b64url, 22, 29) + "." + fake(k_b64url, 43, 30),
       "sendgrid-api-key"},
      {"jwt_js",
       "it('decodes', () => {\n  const jwt = '@@';\n  expect(decode(jwt).sub).toBe('1');\n});\n",
       "ey"
       "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.ey"
       "JzdWIiOiIxIiwibmFtZSI6IkpvaG4ifQ." +
           fake(k_b64url, 43, 31),
       "jwt"},
      {"bearer_curl", "curl -H \"Authorization: Bearer @@\" https://api.example.com/v1/me\n",
       fake(k_alnum, 40, 32), "bearer-token"},
      {"age_key", "# created: 2024-01-01\n# public key: age1example\n@@\n",
       "AGE-SEC"
       "RET-KEY-1" +
           fake("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58, 33),
       "age-secret-key"},
      {"url_password_env", "DATABASE_URL=postgres://app:@@@db.internal:5432/app\n",
       "S3cr" + fake(k_alnum, 12, 34), "url-password"},
      {"url_password_python",
       "engine = create_engine(\"mysql+pymysql://report:@@@10.0.0.5/sales\")\n",
       "p4ss" + fake(k_alnum, 10, 35), "url-password"},
  };
}

std::vector<Planted> planted_assignments() {
  return {
      {"python_constant", "import os\n\nDB_PASSWORD = \"@@\"\nDB_HOST = \"localhost\"\n",
       "Tr0ub4dor&3x", "password"},
      {"python_kwarg", "conn = psycopg2.connect(host=\"db\", user=\"app\", password='@@')\n",
       "hunter2x9", "password"},
      {"python_dict_subscript", "config = {}\nconfig[\"password\"] = \"@@\"\n", "Zq7!pLm2Rt",
       "password"},
      {"python_typed", "class Settings(BaseSettings):\n    token: str = \"@@\"\n",
       fake(k_alnum, 32, 40), "token"},
      {"js_const", "const apiKey = \"@@\";\nfetch(url, { headers: { \"X-Api-Key\": apiKey } });\n",
       fake(k_alnum, 32, 41), "api-key"},
      {"js_object", "module.exports = {\n  jwtSecret: '@@',\n  port: 3000,\n};\n",
       fake(k_alnum, 40, 42), "secret"},
      {"ts_typed", "export const clientSecret: string = \"@@\";\n", fake(k_b64url, 40, 43),
       "secret"},
      {"go_short_decl", "func main() {\n\tsecret := \"@@\"\n\tsign(secret)\n}\n",
       fake(k_hex, 64, 44), "secret"},
      {"go_struct_literal", "cfg := Config{\n\tUser:     \"app\",\n\tPassword: \"@@\",\n}\n",
       "W1nter!2024", "password"},
      {"yaml_unquoted", "database:\n  user: app\n  password: @@\n  host: db\n", "s9Kd82hfQ",
       "password"},
      {"yaml_quoted", "slack:\n  webhook_secret: \"@@\"\n", fake(k_hex, 32, 45), "secret"},
      {"dotenv", "APP_ENV=production\nSECRET_TOKEN=@@\nPORT=8080\n", fake(k_alnum, 40, 46),
       "token"},
      {"shell_export", "export SECRET_TOKEN=@@\n./deploy.sh\n", fake(k_alnum, 40, 47), "token"},
      {"shell_single_quoted", "MYSQL_PWD='@@' mysql -u root\n", "r00tPw!x", "password"},
      {"json_key", "{\n  \"name\": \"svc\",\n  \"api_key\": \"@@\",\n  \"timeout\": 30\n}\n",
       fake(k_alnum, 32, 48), "api-key"},
      {"c_define", "#include <stdio.h>\n#define API_KEY \"@@\"\n", fake(k_alnum, 32, 49),
       "api-key"},
      {"c_pointer", "static const char *password = \"@@\";\n", "Pa55w0rd#42", "password"},
      {"c_array", "char db_passwd[] = \"@@\";\n", "x8Fq2LmZ", "password"},
      {"ruby_hash_rocket", "Client.new(:user => 'app', :password => '@@')\n", "n0tS3cure!",
       "password"},
      {"php_array", "<?php\nreturn [\n    'secret_key' => '@@',\n];\n", fake(k_b64, 44, 50),
       "secret-key"},
      {"java_field", "class Db {\n  private String password = \"@@\";\n}\n", "J4va!Secret9x",
       "password"},
      {"kotlin_val", "val clientSecret: String = \"@@\"\n", fake(k_alnum, 32, 51), "secret"},
      {"toml", "[auth]\naccess_token = \"@@\"\n", fake(k_hex, 40, 52), "token"},
      {"properties", "spring.datasource.password=@@\n", "Spr1ngP4ss", "password"},
      {"private_key_hex", "PRIVATE_KEY = \"@@\"\n", "0x" + fake(k_hex, 64, 53), "private-key"},
      {"k8s_secret_yaml", "apiVersion: v1\nkind: Secret\ndata:\n  password: @@\n",
       fake(k_b64, 23, 54) + "=", "password"},
      {"connection_string_csharp",
       "var cs = \"Server=db;Database=shop;User Id=sa;Password=@@;\";\n", "Sh0p!Adm1n", "password"},
      {"compose_environment", "services:\n  db:\n    environment:\n      - POSTGRES_PASSWORD=@@\n",
       "Pg5ecret99", "password"},
      {"cli_flag", "mysqldump --user=root --password=@@ shop > dump.sql\n", "Dmp3r!Pw9",
       "password"},
  };
}

void expect_redacted(const Planted& p) {
  SCOPED_TRACE(p.name);
  std::string source = plant(p.source, p.secret);
  Redacted r = redact_secrets(source);
  EXPECT_THAT(r.text, Not(HasSubstr(p.secret)));
  EXPECT_THAT(r.text, HasSubstr("<redacted:" + p.kind + ">"));
  EXPECT_EQ(newlines(r.text), newlines(source));
  ASSERT_EQ(r.found.size(), 1U) << r.text;
  EXPECT_EQ(r.found[0].kind, p.kind);
  EXPECT_EQ(r.found[0].line, line_of(source, p.secret));
  EXPECT_EQ(r.count(p.kind), 1U);
  // Only the secret was replaced: putting it back gives the source again.
  std::string back = r.text;
  back.replace(back.find("<redacted:" + p.kind + ">"), p.kind.size() + 11, p.secret);
  EXPECT_EQ(back, source);
}

TEST(Redact, TokensRecognisedByShape) {
  for (const Planted& p : planted_tokens())
    expect_redacted(p);
}

TEST(Redact, SecretAssignments) {
  for (const Planted& p : planted_assignments())
    expect_redacted(p);
}

TEST(Redact, PlaceholderKeepsTheRestOfTheLine) {
  std::string key = aws_access_key(60);
  Redacted r = redact_secrets("id = \"" + key + "\"  # prod\n");
  EXPECT_EQ(r.text, "id = \"<redacted:aws-access-key>\"  # prod\n");
  Redacted url = redact_secrets("url = \"https://deploy:p4ssW0rd99@example.com/x\"");
  EXPECT_EQ(url.text, "url = \"https://deploy:<redacted:url-password>@example.com/x\"");
}

TEST(Redact, PemPrivateKeyFile) {
  std::string body = pem_body(25, 100);
  std::string source =
      "-----BEGIN RSA PRIVATE KEY-----\n" + body + "-----END RSA PRIVATE KEY-----\n";
  Redacted r = redact_secrets(source);
  EXPECT_EQ(newlines(r.text), newlines(source));
  EXPECT_THAT(r.text, HasSubstr("-----BEGIN RSA PRIVATE KEY-----\n<redacted:private-key>\n"));
  EXPECT_THAT(r.text, HasSubstr("\n-----END RSA PRIVATE KEY-----\n"));
  EXPECT_THAT(r.text, Not(HasSubstr(body.substr(0, 64))));
  EXPECT_THAT(r.text, Not(HasSubstr(body.substr(body.size() - 23, 20))));
  ASSERT_EQ(r.found.size(), 1U);
  EXPECT_EQ(r.found[0].kind, "private-key");
  EXPECT_EQ(r.found[0].line, 2U);
  // Every body line is left empty: the END line keeps its number.
  EXPECT_EQ(line_of(r.text, "-----END"), line_of(source, "-----END"));
}

TEST(Redact, PemVariants) {
  const std::vector<std::string> labels = {"PRIVATE KEY",           "EC PRIVATE KEY",
                                           "DSA PRIVATE KEY",       "OPENSSH PRIVATE KEY",
                                           "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK"};
  uint32_t seed = 200;
  for (const std::string& label : labels) {
    SCOPED_TRACE(label);
    std::string body = pem_body(6, seed += 10);
    std::string headers = label == "PGP PRIVATE KEY BLOCK" ? "Version: GnuPG v2\n\n" : "";
    std::string source = "before\n-----BEGIN " + label + "-----\n" + headers + body + "-----END " +
                         label + "-----\nafter\n";
    Redacted r = redact_secrets(source);
    EXPECT_EQ(newlines(r.text), newlines(source));
    for (size_t at = 0; at + 64 <= body.size(); at += 65)
      EXPECT_THAT(r.text, Not(HasSubstr(body.substr(at, 64))));
    EXPECT_THAT(r.text, HasSubstr("-----END " + label + "-----\nafter\n"));
    EXPECT_EQ(r.count("private-key"), 1U) << r.text;
  }
}

TEST(Redact, PemWithEncryptionHeaders) {
  std::string body = pem_body(8, 300);
  std::string source =
      "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
      "3F17F5316E2BAC89\n\n" +
      body + "-----END RSA PRIVATE KEY-----\n";
  Redacted r = redact_secrets(source);
  EXPECT_EQ(newlines(r.text), newlines(source));
  EXPECT_THAT(r.text, HasSubstr("Proc-Type: 4,ENCRYPTED\n"));
  EXPECT_THAT(r.text, Not(HasSubstr(body.substr(0, 64))));
  EXPECT_EQ(r.count("private-key"), 1U);
}

TEST(Redact, GcpServiceAccountJson) {
  std::string body;
  for (uint32_t i = 0; i < 26; ++i)
    body += fake(k_b64, 64, 400 + i) + "\\n";
  std::string source =
      "{\n  \"type\": \"service_account\",\n  \"project_id\": \"acme-prod\",\n"
      "  \"private_key_id\": \"" +
      fake(k_hex, 40, 401) +
      "\",\n"
      "  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n" +
      body +
      "-----END PRIVATE KEY-----\\n\",\n"
      "  \"client_email\": \"svc@acme-prod.iam.gserviceaccount.com\"\n}\n";
  Redacted r = redact_secrets(source);
  EXPECT_EQ(newlines(r.text), newlines(source));
  EXPECT_THAT(r.text, HasSubstr("\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n"
                                "<redacted:private-key>\\n-----END PRIVATE KEY-----\\n\","));
  EXPECT_THAT(r.text, HasSubstr("svc@acme-prod.iam.gserviceaccount.com"));
  EXPECT_EQ(r.count("private-key"), 1U);
  EXPECT_EQ(r.found[0].line, 5U);
}

TEST(Redact, PemInsideStringLiterals) {
  struct Shape {
    std::string name, begin, line_prefix, line_suffix, end;
  };
  const std::vector<Shape> shapes = {
      {"c_concatenation", "static const char key[] =\n    \"-----BEGIN EC PRIVATE KEY-----\\n\"\n",
       "    \"", "\\n\"\n", "    \"-----END EC PRIVATE KEY-----\\n\";\n"},
      {"js_plus", "const key = '-----BEGIN EC PRIVATE KEY-----\\n' +\n", "  '", "\\n' +\n",
       "  '-----END EC PRIVATE KEY-----';\n"},
      {"python_triple", "KEY = \"\"\"-----BEGIN EC PRIVATE KEY-----\n", "", "\n",
       "-----END EC PRIVATE KEY-----\"\"\"\n"},
      {"yaml_block", "tls:\n  key: |\n    -----BEGIN EC PRIVATE KEY-----\n", "    ", "\n",
       "    -----END EC PRIVATE KEY-----\n"},
      {"go_raw", "var key = `-----BEGIN EC PRIVATE KEY-----\n", "", "\n",
       "-----END EC PRIVATE KEY-----`\n"},
  };
  uint32_t seed = 500;
  for (const Shape& s : shapes) {
    SCOPED_TRACE(s.name);
    std::vector<std::string> lines = {fake(k_b64, 64, ++seed), fake(k_b64, 64, ++seed),
                                      fake(k_b64, 36, ++seed) + "=="};
    std::string source = s.begin;
    for (const std::string& l : lines)
      source += s.line_prefix + l + s.line_suffix;
    source += s.end + "use(key)\n";
    Redacted r = redact_secrets(source);
    EXPECT_EQ(newlines(r.text), newlines(source));
    for (const std::string& l : lines)
      EXPECT_THAT(r.text, Not(HasSubstr(l)));
    EXPECT_THAT(r.text, HasSubstr(s.end + "use(key)\n"));
    EXPECT_THAT(r.text, HasSubstr(s.line_prefix + "<redacted:private-key>" + s.line_suffix));
    EXPECT_EQ(r.count("private-key"), 1U) << r.text;
  }
}

TEST(Redact, PemWithoutEndIsRedactedAsFarAsItLooksLikeAKey) {
  std::string body = pem_body(4, 600);
  std::string source = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + body + "echo done\n";
  Redacted r = redact_secrets(source);
  EXPECT_EQ(newlines(r.text), newlines(source));
  EXPECT_THAT(r.text, Not(HasSubstr(body.substr(0, 64))));
  EXPECT_THAT(r.text, Not(HasSubstr(body.substr(body.size() - 23, 20))));
  EXPECT_THAT(r.text, HasSubstr("\necho done\n"));
  EXPECT_EQ(r.count("private-key"), 1U);
}

TEST(Redact, CountsPerKindInOneFile) {
  std::string source = plant(
      "# settings.py\n"
      "AWS_ACCESS_KEY_ID = \"@@\"\n",
      aws_access_key(700));
  source += "AWS_BACKUP_KEY_ID = \"" + aws_access_key(701) + "\"\n";
  source += "GITHUB_TOKEN = \"" + github_token(702) + "\"\n";
  source += "DB_PASSWORD = \"Xk3!vq9Lw\"\n";
  source += "CACHE_PASSWORD = 'Yy7#bb2Qe'\n";
  source += "SECRET_KEY = \"" + fake(k_b64, 50, 703) + "\"\n";
  source += "BROKER = \"amqp://guest:Zr5tT0p9@mq:5672//\"\n";
  source += "SIGNING_KEY = \"\"\"-----BEGIN PRIVATE KEY-----\n" + pem_body(3, 704) +
            "-----END PRIVATE KEY-----\"\"\"\n";
  source += "DEBUG = False\n";
  Redacted r = redact_secrets(source);
  EXPECT_EQ(newlines(r.text), newlines(source));
  const std::map<std::string, size_t> expected = {{"aws-access-key", 2}, {"github-token", 1},
                                                  {"password", 2},       {"secret-key", 1},
                                                  {"url-password", 1},   {"private-key", 1}};
  EXPECT_EQ(r.counts_by_kind(), expected) << r.text;
  ASSERT_EQ(r.found.size(), 8U);
  std::vector<size_t> lines;
  for (const Redaction& f : r.found)
    lines.push_back(f.line);
  EXPECT_EQ(lines, (std::vector<size_t>{2, 3, 4, 5, 6, 7, 8, 10}));
  EXPECT_THAT(r.text, HasSubstr("DEBUG = False\n"));
}

TEST(Redact, TwoSecretsOnOneLine) {
  std::string a = aws_access_key(800);
  std::string b = fake(k_b64, 40, 801);
  Redacted r = redact_secrets("creds(\"" + a + "\", aws_secret_access_key=\"" + b + "\")\n");
  EXPECT_EQ(r.text,
            "creds(\"<redacted:aws-access-key>\", "
            "aws_secret_access_key=\"<redacted:aws-secret-key>\")\n");
  EXPECT_EQ(r.found.size(), 2U);
}

TEST(Redact, RedactingTwiceChangesNothing) {
  std::string source;
  for (const Planted& p : planted_tokens())
    source += plant(p.source, p.secret);
  for (const Planted& p : planted_assignments())
    source += plant(p.source, p.secret);
  source +=
      "-----BEGIN RSA PRIVATE KEY-----\n" + pem_body(5, 900) + "-----END RSA PRIVATE KEY-----\n";
  Redacted once = redact_secrets(source);
  EXPECT_EQ(once.found.size(), planted_tokens().size() + planted_assignments().size() + 1);
  Redacted twice = redact_secrets(once.text);
  EXPECT_EQ(twice.text, once.text);
  EXPECT_TRUE(twice.found.empty());
}

TEST(Redact, RedactingAKeyWhoseBlockEndedEarlyTwiceChangesNothing) {
  // Found by the redact fuzz target: the key's line ends the block at the ':' line after it; the
  // second pass read the placeholder as a header, went on past ':' and took the last line.
  const std::string source = "-----BEGIN PRIVATE KEY-----MI5s2EHfysqo6tjU\n:\nwV5sfysqlshow6tj";
  Redacted once = redact_secrets(source);
  EXPECT_EQ(once.text, "-----BEGIN PRIVATE KEY-----<redacted:private-key>\n:\nwV5sfysqlshow6tj");
  Redacted twice = redact_secrets(once.text);
  EXPECT_EQ(twice.text, once.text);
  EXPECT_TRUE(twice.found.empty());
}

TEST(Redact, ASecretHiddenByAnotherDetectorsContextIsRedactedInTheSamePass) {
  // Found by the redact fuzz target: the ';' inside the URL's password ended the mysql command
  // for the command scan, so `-pz2` survived the first pass and only a second one redacted it.
  const std::string source = "mysql e://:;u@s -pz2";
  Redacted once = redact_secrets(source);
  EXPECT_EQ(once.text.find("z2"), std::string::npos) << once.text;
  Redacted twice = redact_secrets(once.text);
  EXPECT_EQ(twice.text, once.text);
  EXPECT_TRUE(twice.found.empty());
}

TEST(Redact, APlaceholderAfterAKeysBeginLineIsNoHeader) {
  // Found by the redact fuzz target: the line after BEGIN ends the block on the first pass; once a
  // password in it is redacted, the placeholder's ':' made it a header line and the second pass
  // took the next line for key data.
  const std::string source = "-----BEGIN PRIVATE KEY-----\nsshpass -p!t\nx78WWWWWWWWWWWWW";
  Redacted once = redact_secrets(source);
  Redacted twice = redact_secrets(once.text);
  EXPECT_EQ(twice.text, once.text);
  EXPECT_TRUE(twice.found.empty());
}

TEST(Redact, CrlfAndNoTrailingNewline) {
  std::string key = github_token(910);
  Redacted r = redact_secrets("a = 1\r\ntoken = \"" + key + "\"\r\nb = 2");
  EXPECT_EQ(r.text, "a = 1\r\ntoken = \"<redacted:github-token>\"\r\nb = 2");
  EXPECT_EQ(redact_secrets("SECRET_TOKEN=" + fake(k_alnum, 30, 911) + "\r\n").text,
            "SECRET_TOKEN=<redacted:token>\r\n");
  EXPECT_EQ(redact_secrets("").text, "");
  EXPECT_TRUE(redact_secrets("").found.empty());
}

TEST(Redact, PlaceholdersAreNotSecrets) {
  const std::vector<std::string> lines = {
      "password = \"\"",
      "password = \"changeme\"",
      "password = \"change-me-please\"",
      "password: ${DB_PASSWORD}",
      "password: \"${DB_PASSWORD}\"",
      "api_key = os.environ[\"API_KEY\"]",
      "api_key = os.environ.get('API_KEY')",
      "const apiKey = process.env.API_KEY;",
      "api_key: <your-api-key>",
      "api_key = \"<YOUR_API_KEY>\"",
      "secret: xxxxxxxxxxxxxxxx",
      "SECRET_KEY = \"xxx-xxx-xxx\"",
      "password: \"****************\"",
      "token: \"{{ vault_token }}\"",
      "token: ${{ secrets.GITHUB_TOKEN }}",
      "password = \"%(db_password)s\"",
      "password = \"%s\" % pw",
      "api_key = \"your-api-key-here\"",
      "SECRET_TOKEN=",
      "client_secret = \"REPLACE_ME\"",
      "access_token = \"<token>\"",
      "password = \"example-password\"",
      "password: null",
      "token = None",
      "secret_key = \"dummy-secret-key-for-tests\"",
      "aws_access_key_id = \"AKIAXXXXXXXXXXXXXXXX\"",
      "url = \"postgres://user:password@localhost/db\"",
      "url = \"postgres://user:${PGPASSWORD}@localhost/db\"",
      "url = \"https://user:@example.com\"",
      "url = \"redis://:{password}@cache:6379\"",
  };
  for (const std::string& line : lines) {
    Redacted r = redact_secrets(line + "\n");
    EXPECT_EQ(r.text, line + "\n");
    EXPECT_TRUE(r.found.empty()) << line;
  }
}

// ---------------------------------------------------------------------------------------------
// False positives: ordinary code stays byte-identical.

constexpr std::string_view k_ordinary_code = R"(import hashlib
import os

password = request.form["password"]
token = lexer.next()
def check_password(password):
    return bcrypt.checkpw(password.encode(), stored_hash)
if api_key is None:
    raise ValueError("api_key is required")
api_key = os.environ["OPENAI_API_KEY"]
secret = os.getenv("APP_SECRET", "")
password = getpass.getpass("Password: ")
self.token = token
token = tokens[i + 1]
PASSWORD_MIN_LENGTH = 12
password_hash = hashlib.sha256(password.encode()).hexdigest()
token_type = "bearer"
TOKEN_URL = "https://oauth2.googleapis.com/token"
secret_name = "prod/db/credentials"
parser.add_argument("--password", help="database password")
user = User(username="alice", password=password)
commit = "9fceb02d0ae598e95dc970b74767f19372d61af8"
request_id = "123e4567-e89b-12d3-a456-426614174000"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
assert base64.b64encode(b"hello world") == b"aGVsbG8gd29ybGQ="
from huggingface_hub import hf_hub_download
path = hf_hub_download(repo_id="gpt2", filename="config.json")
from sklearn.model_selection import train_test_split
const TOKEN_TYPES = ["identifier", "number", "string", "punctuator"];
const token = tokens[i];
const apiKey = process.env.STRIPE_API_KEY;
const password = req.body.password;
if (!password) return res.status(400).send("password required");
const { token } = await login(user, pass);
headers.Authorization = `Bearer ${token}`;
const secret = config.get("jwt.secret");
export const rules = { email: "required|email", password: "required|min:8|confirmed" };
<input type="password" name="password" autocomplete="current-password">
<div class="sk-spinner sk-spinner-wave"></div>
const taskId = "task-5f3c2a1b";
token, err := tokenizer.Next()
password := os.Getenv("DB_PASSWORD")
func hashPassword(password string) (string, error) {
secret := []byte(cfg.Secret)
var apiKey string
if token.Kind == TokenIdent {
int check_password(const char *password, size_t len);
static const char *TOKEN_NAMES[] = {"IDENT", "NUMBER", "STRING"};
if (strcmp(token, "return") == 0) {
const char *kBeginMarker = "-----BEGIN RSA PRIVATE KEY-----";
const char *kEndMarker = "-----END RSA PRIVATE KEY-----";
password: ${DB_PASSWORD}
secretKeyRef:
  name: db-credentials
  key: password
token: ${{ secrets.GITHUB_TOKEN }}
  has_secure_password
String password = new String(console.readPassword());
char[] password = console.readPassword("Password: ");
git checkout 9fceb02d0ae598e95dc970b74767f19372d61af8
docker run -e POSTGRES_PASSWORD="$POSTGRES_PASSWORD" postgres:16
uuid = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
#define TOKEN_BUFFER_SIZE 4096
max_tokens: 4096
tokens = text.split()
password_field = driver.find_element(By.ID, "password")
secret = Secret(name="db-password", namespace="prod")
api_key_header = APIKeyHeader(name="X-API-Key")
logger.info("token refreshed for %s", user_id)
keyboard = Keyboard(layout="qwerty")
monkey = "banana"
url = "https://github.com/acme/app.git"
ssh_url = "git@github.com:acme/app.git"
see https://example.com/docs?token=refresh#section
const npm_config_cache = path.join(home, ".npm");
hash := sha1.Sum([]byte("abc"))
expected := "a9993e364706816aba3e25717850c26c9cd0d89d"
bos_token = "<s>"
tokenizer.pad_token = tokenizer.eos_token
special = {"eos_token": "<|endoftext|>", "mask_token": "[MASK]", "sep_token": "[SEP]"}
EOT_TOKEN = "<|eot_id|>"
max_new_tokens = 512
last_token = input_ids[-1]
stop_token = "\n\n"
private_key_path = "keys/server-2048.pem"
private_key = load_key("keys/server.pem")
PASSWORD_REGEX = "^(?=.*[A-Z])(?=.*[0-9]).{8,}$"
if [ -z "$PASSWORD" ]; then read -s PASSWORD; fi
PASSWORD=$(cat /run/secrets/db_password)
$pass = '-anonymous@'
-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEd2bGzuL2w7cH5pUOd9Fdoj4SSNh1
VjxJB2ntNjmJ6qbJDh8iqaXmeWWIJO1PSTRjDJRxXVgVVtyKQSp6dnGeTw==
-----END PUBLIC KEY-----
-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUE1eLmR8ZyMZVkJbZ0A3pX3z1bGowCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----
)";

TEST(RedactFalsePositives, OrdinaryCodeIsByteIdentical) {
  ASSERT_GE(newlines(k_ordinary_code), 40U);
  Redacted r = redact_secrets(k_ordinary_code);
  EXPECT_EQ(r.text, k_ordinary_code);
  for (const Redaction& f : r.found)
    ADD_FAILURE() << f.kind << " at line " << f.line;
}

TEST(RedactFalsePositives, EachLineAloneIsByteIdentical) {
  std::string_view rest = k_ordinary_code;
  while (!rest.empty()) {
    std::string_view line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    Redacted r = redact_secrets(line);
    EXPECT_EQ(r.text, line);
  }
}

TEST(RedactFalsePositives, WordsAndShortValuesAreNotSecrets) {
  const std::vector<std::string> lines = {
      "token = \"int\"",
      "password = \"sunshine\"",
      "POSTGRES_PASSWORD: postgres",
      "password: \"current-password\"",
      "secret = \"my-app-secret-name\"",
      "token = \"Bearer\"",
      "api_key = \"X-API-Key\"",
      "TOKEN = \"TOKEN_IDENTIFIER_DEFAULT\"",
      "secret_key = \"development_only_not_used\"",
      "token = \"abc123\"",
      "const token = \"eyJ\";",
      "password = 'hello world 123'",
      "pwd = \"/home/user/projects\"",
      "token_endpoint = \"/oauth/token\"",
      "password = \"Enter your password\"",
      "secret: true",
      "access_token: 3600",
      "mask = \"sk-learn\"",
      "name = \"ghp_\"",
      "AKIA = 1",
  };
  for (const std::string& line : lines) {
    Redacted r = redact_secrets(line + "\n");
    EXPECT_EQ(r.text, line + "\n");
    EXPECT_TRUE(r.found.empty()) << line;
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs: linear time, no recursion depth that grows with a line's length.
//
// The limit tells linear from quadratic, not fast from slow: linear redaction of a megabyte takes
// well under a second (up to about 25 s under ThreadSanitizer on a busy 2-core machine), while a
// quadratic scan of one (5 * 10^11 steps) takes many minutes.
constexpr double k_linear_limit_seconds = 120.0;

double seconds_to_redact(const std::string& input, Redacted* out = nullptr) {
  auto start = std::chrono::steady_clock::now();
  Redacted r = redact_secrets(input);
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(newlines(r.text), newlines(input));
  if (out != nullptr)
    *out = std::move(r);
  return elapsed;
}

std::string repeat_to(std::string_view unit, size_t bytes) {
  std::string out;
  out.reserve(bytes + unit.size());
  while (out.size() < bytes)
    out += unit;
  return out;
}

TEST(Redact, HostileOneMegabyteLines) {
  const size_t mb = 1 << 20;
  const std::vector<std::string> units = {
      "A",
      "AKIA",
      "password=",
      "password=\"",
      "password = \"a",
      "\"password\": \"",
      "a://b:c",
      "x://",
      "@",
      "eyJ.",
      "eyJhbGci.",
      "-----BEGIN RSA PRIVATE KEY-----",
      "-----BEGIN RSA PRIVATE KEY-----\\nQUJD\\n",
      "-",
      "\\",
      "sk-",
      "Bearer ",
      "AccountKey=",
      "secret_key",
      "_",
      "\"",
      "a://b:c#",
      "a://b:c#@",
      "mysql -p",
      "mysql ",
      "curl -u a:",
      "auth=(\"a\", ",
      "auth=(a,",
      "connect(",
      "login(\"a\",\"",
      "# -----BEGIN RSA PRIVATE KEY-----\n# QUJD\n",
  };
  for (const std::string& unit : units) {
    SCOPED_TRACE(unit);
    EXPECT_LT(seconds_to_redact(repeat_to(unit, mb)), k_linear_limit_seconds);
  }
  std::string bytes;
  for (uint32_t i = 0; bytes.size() < mb; ++i)
    bytes += static_cast<char>(fake(k_hex, 2, i)[0] * 7 + i);  // every byte value, NUL included
  EXPECT_LT(seconds_to_redact(bytes), k_linear_limit_seconds);
  std::string random_line;
  for (uint32_t i = 0; random_line.size() < mb; ++i)
    random_line += fake(k_b64, 4096, i);
  EXPECT_LT(seconds_to_redact(random_line), k_linear_limit_seconds);
  std::string key_line = "-----BEGIN RSA PRIVATE KEY-----\\n" + random_line;
  Redacted r;
  EXPECT_LT(seconds_to_redact(key_line, &r), k_linear_limit_seconds);
  EXPECT_EQ(r.count("private-key"), 1U);
  EXPECT_LT(r.text.size(), 100U);
}

TEST(Redact, FiveMegabyteFile) {
  std::string file = repeat_to(k_ordinary_code, 5 << 20);
  Redacted r;
  EXPECT_LT(seconds_to_redact(file, &r), k_linear_limit_seconds);
  EXPECT_EQ(r.text, file);
  std::string planted = file + "token = \"" + github_token(1000) + "\"\n";
  EXPECT_LT(seconds_to_redact(planted, &r), k_linear_limit_seconds);
  EXPECT_EQ(r.found.size(), 1U);
}

}  // namespace
}  // namespace g2d::redact
