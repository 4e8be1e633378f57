"""gunicorn settings: ``gunicorn -c python:voc.gunicorn_conf voc.wsgi -b 127.0.0.1:8000 -w 4``.

No phone, ID or card number reaches gunicorn's logs. The application never puts one in a
URL (number lookups and the list search are POSTs); on top of that the access line names
the path without its query string (%(U)s; %(r)s and %(q)s would include it) and leaves out
the referrer (%(f)s, the previous page's full URL), and gunicorn's handlers mask numbers
with the same filter as Django's (voc.log_filters).
"""

accesslog = "-"
# Status, size and time are labelled: bare numbers side by side ("200 1511 12") read to the
# PII mask as one spaced-out card number and would be starred.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" status=%(s)s bytes=%(b)s ms=%(M)s "%(a)s"'

_MASKED = {"formatter": "generic", "filters": ["mask_pii"], "class": "logging.StreamHandler"}
logconfig_dict = {
    "filters": {"mask_pii": {"()": "voc.log_filters.MaskPIIFilter"}},
    "handlers": {
        "console": {**_MASKED, "stream": "ext://sys.stdout"},
        "error_console": {**_MASKED, "stream": "ext://sys.stderr"},
    },
    # Not propagated: gunicorn's defaults would print each line twice (here and at the root).
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}

# Whether a request came in over https is Django's decision alone (SECURE_PROXY_SSL_HEADER, set
# only when VOC_TRUSTED_PROXIES > 0). gunicorn's own rule would believe X-Forwarded-Proto from
# any client on this machine (forwarded_allow_ips defaults to 127.0.0.1), whatever the setting says.
secure_scheme_headers: dict[str, str] = {}
