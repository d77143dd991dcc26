"""callerid: a landline caller-ID appliance that warns against fake-police phone fraud."""

__version__ = "0.1.0"
