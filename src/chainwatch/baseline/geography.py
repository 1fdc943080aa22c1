"""Country centres and radii for judging whether a trip between two sign-ins is possible.

Centres (latitude, longitude in degrees) are the country points of the ``countries.csv``
canonical dataset of Google's Dataset Publishing Language (DSPL), read from a copy in a
public repository. Each is a rough geographic centre of the country. The radius in km is
an estimate, written here by hand, of the distance from that centre to the farthest
large city of the mainland, so that the distance between two countries minus both radii
is a lower bound on how far a person travelled. Overseas territories (Hawaii, the Canary
Islands, the Azores) lie outside their country's radius.
"""

from __future__ import annotations

import math
from typing import NamedTuple

EARTH_RADIUS_KM = 6371.0


class CountryArea(NamedTuple):
    """A country's centre in degrees and its radius in km."""

    latitude: float
    longitude: float
    radius_km: float


COUNTRY_AREAS: dict[str, CountryArea] = {
    "AE": CountryArea(23.424076, 53.847818, 300),
    "AR": CountryArea(-38.416097, -63.616672, 1800),
    "AT": CountryArea(47.516231, 14.550072, 350),
    "AU": CountryArea(-25.274398, 133.775136, 2300),
    "BD": CountryArea(23.684994, 90.356331, 400),
    "BE": CountryArea(50.503887, 4.469936, 150),
    "BG": CountryArea(42.733883, 25.48583, 250),
    "BR": CountryArea(-14.235004, -51.92528, 2000),
    "BY": CountryArea(53.709807, 27.953389, 350),
    "CA": CountryArea(56.130366, -106.346771, 2600),
    "CH": CountryArea(46.818188, 8.227512, 200),
    "CL": CountryArea(-35.675147, -71.542969, 2300),
    "CN": CountryArea(35.86166, 104.195397, 2600),
    "CO": CountryArea(4.570868, -74.297333, 800),
    "CZ": CountryArea(49.817492, 15.472962, 250),
    "DE": CountryArea(51.165691, 10.451526, 450),
    "DK": CountryArea(56.26392, 9.501785, 250),
    "DZ": CountryArea(28.033886, 1.659626, 1100),
    "EE": CountryArea(58.595272, 25.013607, 200),
    "EG": CountryArea(26.820553, 30.802498, 700),
    "ES": CountryArea(40.463667, -3.74922, 700),
    "ET": CountryArea(9.145, 40.489673, 800),
    "FI": CountryArea(61.92411, 25.748151, 650),
    "FR": CountryArea(46.227638, 2.213749, 650),
    "GB": CountryArea(55.378051, -3.435973, 600),
    "GH": CountryArea(7.946527, -1.023194, 400),
    "GR": CountryArea(39.074208, 21.824312, 450),
    "HK": CountryArea(22.396428, 114.109497, 50),
    "HR": CountryArea(45.1, 15.2, 350),
    "HU": CountryArea(47.162494, 19.503304, 250),
    "ID": CountryArea(-0.789275, 113.921327, 2500),
    "IE": CountryArea(53.41291, -8.24389, 250),
    "IL": CountryArea(31.046051, 34.851612, 250),
    "IN": CountryArea(20.593684, 78.96288, 1600),
    "IQ": CountryArea(33.223191, 43.679291, 500),
    "IR": CountryArea(32.427908, 53.688046, 1000),
    "IS": CountryArea(64.963051, -19.020835, 250),
    "IT": CountryArea(41.87194, 12.56738, 700),
    "JP": CountryArea(36.204824, 138.252924, 1200),
    "KE": CountryArea(-0.023559, 37.906193, 600),
    "KR": CountryArea(35.907757, 127.766922, 300),
    "KW": CountryArea(29.31166, 47.481766, 100),
    "KZ": CountryArea(48.019573, 66.923684, 1200),
    "LK": CountryArea(7.873054, 80.771797, 250),
    "LT": CountryArea(55.169438, 23.881275, 200),
    "LU": CountryArea(49.815273, 6.129583, 50),
    "LV": CountryArea(56.879635, 24.603189, 200),
    "MA": CountryArea(31.791702, -7.09262, 700),
    "MX": CountryArea(23.634501, -102.552784, 1500),
    "MY": CountryArea(4.210484, 101.975766, 800),
    "NG": CountryArea(9.081999, 8.675277, 700),
    "NL": CountryArea(52.132633, 5.291266, 200),
    "NO": CountryArea(60.472024, 8.468946, 1000),
    "NZ": CountryArea(-40.900557, 174.885971, 800),
    "PE": CountryArea(-9.189967, -75.015152, 900),
    "PH": CountryArea(12.879721, 121.774017, 900),
    "PK": CountryArea(30.375321, 69.345116, 900),
    "PL": CountryArea(51.919438, 19.145136, 400),
    "PT": CountryArea(39.399872, -8.224454, 350),
    "QA": CountryArea(25.354826, 51.183884, 100),
    "RO": CountryArea(45.943161, 24.96676, 350),
    "RS": CountryArea(44.016521, 21.005859, 300),
    "RU": CountryArea(61.52401, 105.318756, 4500),
    "SA": CountryArea(23.885942, 45.079162, 1200),
    "SE": CountryArea(60.128161, 18.643501, 900),
    "SG": CountryArea(1.352083, 103.819836, 30),
    "SI": CountryArea(46.151241, 14.995463, 150),
    "SK": CountryArea(48.669026, 19.699024, 250),
    "TH": CountryArea(15.870032, 100.992541, 700),
    "TN": CountryArea(33.886917, 9.537499, 400),
    "TR": CountryArea(38.963745, 35.243322, 800),
    "TW": CountryArea(23.69781, 120.960515, 250),
    "UA": CountryArea(48.379433, 31.16558, 700),
    "US": CountryArea(37.09024, -95.712891, 2600),
    "VE": CountryArea(6.42375, -66.58973, 700),
    "VN": CountryArea(14.058324, 108.277199, 800),
    "ZA": CountryArea(-30.559482, 22.937506, 900),
}


def great_circle_km(a: CountryArea, b: CountryArea) -> float:
    """Return the haversine distance between two centres on a spherical Earth."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
