AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
password = "s3cr3t-Pa55w0rd!x"
db = "postgres://admin:hunter2pw9@db.example.com/app"
headers = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnop"}
token = os.environ["TOKEN"]
requests.get(url, auth=("user", "Xy9#kLm2pQ"))
