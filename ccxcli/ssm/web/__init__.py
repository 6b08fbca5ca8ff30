"""`ccx-ssm serve`: the SSM over HTTPS (Starlette on uvicorn, Jinja2 pages): the device
endpoints nodes post to, the Smart Software Manager portal and the JSON API. Imported only
by `ccx-ssm serve`."""
