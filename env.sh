export PYTHONPATH=/work/wt/overdue
export DATABASE_URL_PG=postgres://postgres@127.0.0.1:5432/h_overdue
cd /work/wt/overdue
