mysql -uroot -pS3cretPass1 db
curl -u bob:pa55Word99 https://x
sshpass -p Hunter22x ssh host
export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789
# été �
