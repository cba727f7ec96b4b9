"""The demo scenario: Shenzhen Bao'an district, ten stations, three years of incidents."""
