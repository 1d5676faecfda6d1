export PYTHONPATH=/work/wt/rollups
export DATABASE_URL_PG=postgres://postgres@127.0.0.1:5432/h_rollups
cd /work/wt/rollups
