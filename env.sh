export PYTHONPATH=/work/wt/indicator
export DATABASE_URL_PG=postgres://postgres@127.0.0.1:5432/h_indicator
cd /work/wt/indicator
