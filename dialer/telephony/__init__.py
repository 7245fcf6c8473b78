"""The telephony port: everything that talks to Asterisk.

``dialer.telephony.ami`` is the only module in the project that imports panoramisk.
``dialer.telephony.asterisk_config`` renders Asterisk's configuration from templates.
"""
