export PYTHONPATH=/work/wt/scale
export DATABASE_URL_PG=postgres://postgres@127.0.0.1:5432/h_scale
cd /work/wt/scale
