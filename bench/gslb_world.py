"""A synthetic world for the GSLB quality benchmark: cities, AWS regions, and TRUE latencies.

True RTTs are deliberately NOT a function of distance: traffic follows a graph of
internet hubs joined by the cables and terrestrial links that exist in rough form
(South America reaches Europe through Miami, East Africa reaches India through
Marseille, Pakistan and India do not peer directly, China adds a border penalty),
each link has its own inflation, each client's ISP picks one of its nearest hubs,
and every client has its own last-mile delay. Measured samples add noise and the
occasional congested outlier. Nothing here is used by the model under test.
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
from dataclasses import dataclass

from gslb.geo import distance_km

FIBRE_KM_PER_MS = 204.0

REGIONS: dict[str, tuple[float, float, str]] = {
    "us-east-1": (38.9, -77.0, "ASH"), "us-east-2": (40.0, -83.0, "CHI"),
    "us-west-1": (37.35, -121.96, "SJC"), "us-west-2": (45.8, -119.7, "SEA"),
    "ca-central-1": (45.5, -73.6, "TOR"), "sa-east-1": (-23.5, -46.6, "SAO"),
    "eu-west-1": (53.35, -6.26, "DUB"), "eu-west-2": (51.5, -0.13, "LON"),
    "eu-west-3": (48.86, 2.35, "PAR"), "eu-central-1": (50.11, 8.68, "FRA"),
    "eu-north-1": (59.33, 18.07, "STO"), "eu-south-1": (45.46, 9.19, "MIL"),
    "me-south-1": (26.07, 50.55, "BAH"), "me-central-1": (25.2, 55.27, "DXB"),
    "af-south-1": (-33.92, 18.42, "CPT"), "ap-south-1": (19.08, 72.88, "BOM"),
    "ap-southeast-1": (1.35, 103.82, "SIN"), "ap-southeast-2": (-33.87, 151.21, "SYD"),
    "ap-southeast-3": (-6.2, 106.85, "JKT"), "ap-east-1": (22.32, 114.17, "HKG"),
    "ap-northeast-1": (35.68, 139.69, "TYO"), "ap-northeast-2": (37.57, 126.98, "SEL"),
    "ap-northeast-3": (34.69, 135.5, "OSA"),
}

HUBS: dict[str, tuple[float, float, str]] = {
    "ASH": (39.04, -77.49, "NA"), "NYC": (40.71, -74.0, "NA"), "MIA": (25.76, -80.19, "NA"),
    "CHI": (41.88, -87.63, "NA"), "DAL": (32.78, -96.8, "NA"), "LAX": (34.05, -118.24, "NA"),
    "SJC": (37.34, -121.89, "NA"), "SEA": (47.61, -122.33, "NA"), "TOR": (43.65, -79.38, "NA"),
    "DEN": (39.74, -104.99, "NA"), "QRO": (20.59, -100.39, "NA"), "ANC": (61.22, -149.9, "NA"),
    "SAO": (-23.55, -46.63, "SA"), "FOR": (-3.73, -38.52, "SA"), "SCL": (-33.45, -70.67, "SA"),
    "BOG": (4.71, -74.07, "SA"), "LIM": (-12.05, -77.04, "SA"), "BUE": (-34.6, -58.38, "SA"),
    "LON": (51.5, -0.13, "EU"), "AMS": (52.37, 4.9, "EU"), "FRA": (50.11, 8.68, "EU"),
    "PAR": (48.86, 2.35, "EU"), "MRS": (43.3, 5.37, "EU"), "LIS": (38.72, -9.14, "EU"),
    "MAD": (40.42, -3.7, "EU"), "STO": (59.33, 18.07, "EU"), "WAW": (52.23, 21.01, "EU"),
    "MIL": (45.46, 9.19, "EU"), "VIE": (48.21, 16.37, "EU"), "IST": (41.0, 28.97, "EU"),
    "DUB": (53.35, -6.26, "EU"), "MOW": (55.76, 37.62, "RU"), "NOV": (55.0, 82.9, "RU"),
    "REK": (64.15, -21.94, "EU"),
    "JNB": (-26.2, 28.05, "AF"), "CPT": (-33.92, 18.42, "AF"), "LOS": (6.52, 3.38, "AF"),
    "NBO": (-1.29, 36.82, "AF"), "MBA": (-4.04, 39.67, "AF"), "CAI": (30.04, 31.24, "AF"),
    "DJI": (11.6, 43.15, "AF"), "CMN": (33.57, -7.59, "AF"),
    "DXB": (25.2, 55.27, "ME"), "FJR": (25.12, 56.33, "ME"), "BAH": (26.07, 50.55, "ME"),
    "JED": (21.49, 39.19, "ME"), "TLV": (32.09, 34.78, "ME"),
    "BOM": (19.08, 72.88, "IN"), "MAA": (13.08, 80.27, "IN"), "DEL": (28.7, 77.1, "IN"),
    "KHI": (24.86, 67.0, "PK"),
    "SIN": (1.35, 103.82, "SEA"), "KUL": (3.14, 101.69, "SEA"), "JKT": (-6.2, 106.85, "SEA"),
    "BKK": (13.76, 100.5, "SEA"), "MNL": (14.6, 120.98, "SEA"), "SGN": (10.82, 106.63, "SEA"),
    "HKG": (22.32, 114.17, "EAS"), "TYO": (35.68, 139.69, "EAS"), "OSA": (34.69, 135.5, "EAS"),
    "SEL": (37.57, 126.98, "EAS"), "TPE": (25.03, 121.57, "EAS"),
    "SHA": (31.23, 121.47, "CN"), "BJS": (39.9, 116.41, "CN"), "CAN": (23.13, 113.26, "CN"),
    "SYD": (-33.87, 151.21, "OC"), "MEL": (-37.81, 144.96, "OC"), "PER": (-31.95, 115.86, "OC"),
    "AKL": (-36.85, 174.76, "OC"), "HNL": (21.31, -157.86, "OC"), "GUM": (13.44, 144.79, "OC"),
}

# Links between hubs (terrestrial and submarine). Missing links are the point.
LINKS = """
ASH-NYC ASH-MIA ASH-CHI ASH-DAL NYC-CHI NYC-TOR CHI-TOR CHI-DEN CHI-SEA DAL-DEN DAL-LAX
DAL-MIA DAL-QRO DEN-SJC LAX-SJC SJC-SEA SEA-ANC LAX-QRO
NYC-LON NYC-DUB ASH-PAR NYC-AMS REK-LON REK-NYC
MIA-FOR MIA-BOG MIA-SAO SAO-FOR SAO-BUE BUE-SCL SCL-LIM LIM-BOG FOR-LIS MIA-LIM
LON-AMS LON-PAR LON-DUB AMS-FRA FRA-PAR PAR-MRS PAR-MAD MAD-LIS FRA-MIL MIL-MRS FRA-VIE
FRA-WAW AMS-STO FRA-STO VIE-IST WAW-MOW STO-MOW LON-LIS MOW-NOV IST-MOW
LIS-LOS LIS-CMN MAD-CMN MRS-CAI LOS-CPT CPT-JNB JNB-NBO NBO-MBA MBA-DJI DJI-JED JED-CAI
DJI-MRS MBA-JNB LOS-CMN
TLV-MRS CAI-TLV DXB-FJR FJR-BOM FJR-DJI BAH-DXB BAH-JED FJR-MRS KHI-FJR KHI-DJI IST-TLV
BOM-DEL BOM-MAA MAA-SIN BOM-MRS MAA-DJI
SIN-KUL SIN-JKT SIN-HKG KUL-BKK BKK-SGN SGN-HKG SIN-SGN HKG-MNL SIN-SYD SIN-PER HKG-TPE
TPE-TYO HKG-CAN CAN-SHA SHA-BJS SHA-TYO BJS-SEL SEL-TYO TYO-OSA OSA-SEL MNL-GUM GUM-TYO
GUM-SYD JKT-PER SIN-MNL
TYO-SEA TYO-LAX TYO-SJC HKG-LAX TYO-HNL HNL-LAX SYD-MEL MEL-PER SYD-AKL SYD-HNL AKL-HNL
SYD-LAX
"""

# Which hubs a client of a country may use first (its ISP's upstreams).
AREA_OF_COUNTRY = {
    "US": "NA", "CA": "NA", "MX": "NA", "PA": "SA", "CR": "SA", "CU": "NA", "DO": "NA",
    "BR": "SA", "AR": "SA", "CL": "SA", "PE": "SA", "CO": "SA", "EC": "SA", "VE": "SA", "UY": "SA",
    "BO": "SA", "RU": "RU", "KZ": "RU", "UZ": "RU", "EG": "AF", "MA": "AF", "DZ": "EU", "TN": "EU",
    "AE": "ME", "SA": "ME", "QA": "ME", "IL": "ME", "IR": "ME", "PK": "PK", "IN": "IN", "BD": "IN",
    "LK": "IN", "NP": "IN", "TH": "SEA", "MY": "SEA", "SG": "SEA", "ID": "SEA", "PH": "SEA",
    "VN": "SEA", "HK": "EAS", "TW": "EAS", "KR": "EAS", "JP": "EAS", "CN": "CN", "AU": "OC",
    "NZ": "OC", "FJ": "OC", "PG": "OC",
}

CITIES = [
    ("New York", "US", 40.71, -74.01, "NA"),
    ("Washington", "US", 38.91, -77.04, "NA"),
    ("Boston", "US", 42.36, -71.06, "NA"),
    ("Atlanta", "US", 33.75, -84.39, "NA"),
    ("Miami", "US", 25.76, -80.19, "NA"),
    ("Chicago", "US", 41.88, -87.63, "NA"),
    ("Dallas", "US", 32.78, -96.80, "NA"),
    ("Houston", "US", 29.76, -95.37, "NA"),
    ("Denver", "US", 39.74, -104.99, "NA"),
    ("Phoenix", "US", 33.45, -112.07, "NA"),
    ("Los Angeles", "US", 34.05, -118.24, "NA"),
    ("San Francisco", "US", 37.77, -122.42, "NA"),
    ("Seattle", "US", 47.61, -122.33, "NA"),
    ("Minneapolis", "US", 44.98, -93.27, "NA"),
    ("Toronto", "CA", 43.65, -79.38, "NA"),
    ("Montreal", "CA", 45.50, -73.57, "NA"),
    ("Vancouver", "CA", 49.28, -123.12, "NA"),
    ("Calgary", "CA", 51.05, -114.07, "NA"),
    ("Mexico City", "MX", 19.43, -99.13, "NA"),
    ("Monterrey", "MX", 25.69, -100.32, "NA"),
    ("Guadalajara", "MX", 20.66, -103.35, "NA"),
    ("Panama City", "PA", 8.98, -79.52, "NA"),
    ("San Jose", "CR", 9.93, -84.08, "NA"),
    ("Havana", "CU", 23.11, -82.37, "NA"),
    ("Santo Domingo", "DO", 18.49, -69.93, "NA"),
    ("Sao Paulo", "BR", -23.55, -46.63, "SA"),
    ("Rio de Janeiro", "BR", -22.91, -43.17, "SA"),
    ("Brasilia", "BR", -15.79, -47.88, "SA"),
    ("Fortaleza", "BR", -3.73, -38.52, "SA"),
    ("Porto Alegre", "BR", -30.03, -51.23, "SA"),
    ("Buenos Aires", "AR", -34.60, -58.38, "SA"),
    ("Cordoba", "AR", -31.42, -64.18, "SA"),
    ("Santiago", "CL", -33.45, -70.67, "SA"),
    ("Lima", "PE", -12.05, -77.04, "SA"),
    ("Bogota", "CO", 4.71, -74.07, "SA"),
    ("Medellin", "CO", 6.24, -75.58, "SA"),
    ("Quito", "EC", -0.18, -78.47, "SA"),
    ("Caracas", "VE", 10.48, -66.90, "SA"),
    ("Montevideo", "UY", -34.90, -56.16, "SA"),
    ("La Paz", "BO", -16.50, -68.15, "SA"),
    ("London", "GB", 51.51, -0.13, "EU"),
    ("Manchester", "GB", 53.48, -2.24, "EU"),
    ("Dublin", "IE", 53.35, -6.26, "EU"),
    ("Paris", "FR", 48.86, 2.35, "EU"),
    ("Marseille", "FR", 43.30, 5.37, "EU"),
    ("Amsterdam", "NL", 52.37, 4.90, "EU"),
    ("Brussels", "BE", 50.85, 4.35, "EU"),
    ("Frankfurt", "DE", 50.11, 8.68, "EU"),
    ("Berlin", "DE", 52.52, 13.40, "EU"),
    ("Munich", "DE", 48.14, 11.58, "EU"),
    ("Hamburg", "DE", 53.55, 9.99, "EU"),
    ("Zurich", "CH", 47.38, 8.54, "EU"),
    ("Vienna", "AT", 48.21, 16.37, "EU"),
    ("Milan", "IT", 45.46, 9.19, "EU"),
    ("Rome", "IT", 41.90, 12.50, "EU"),
    ("Madrid", "ES", 40.42, -3.70, "EU"),
    ("Barcelona", "ES", 41.39, 2.17, "EU"),
    ("Lisbon", "PT", 38.72, -9.14, "EU"),
    ("Copenhagen", "DK", 55.68, 12.57, "EU"),
    ("Stockholm", "SE", 59.33, 18.07, "EU"),
    ("Oslo", "NO", 59.91, 10.75, "EU"),
    ("Helsinki", "FI", 60.17, 24.94, "EU"),
    ("Warsaw", "PL", 52.23, 21.01, "EU"),
    ("Prague", "CZ", 50.08, 14.44, "EU"),
    ("Budapest", "HU", 47.50, 19.04, "EU"),
    ("Bucharest", "RO", 44.43, 26.10, "EU"),
    ("Sofia", "BG", 42.70, 23.32, "EU"),
    ("Athens", "GR", 37.98, 23.73, "EU"),
    ("Istanbul", "TR", 41.01, 28.98, "EU"),
    ("Kyiv", "UA", 50.45, 30.52, "EU"),
    ("Moscow", "RU", 55.76, 37.62, "EU"),
    ("Saint Petersburg", "RU", 59.93, 30.34, "EU"),
    ("Riga", "LV", 56.95, 24.11, "EU"),
    ("Cairo", "EG", 30.04, 31.24, "AF"),
    ("Alexandria", "EG", 31.20, 29.92, "AF"),
    ("Casablanca", "MA", 33.57, -7.59, "AF"),
    ("Algiers", "DZ", 36.75, 3.06, "AF"),
    ("Tunis", "TN", 36.81, 10.18, "AF"),
    ("Lagos", "NG", 6.52, 3.38, "AF"),
    ("Abuja", "NG", 9.08, 7.40, "AF"),
    ("Accra", "GH", 5.60, -0.19, "AF"),
    ("Dakar", "SN", 14.72, -17.47, "AF"),
    ("Abidjan", "CI", 5.36, -4.01, "AF"),
    ("Nairobi", "KE", -1.29, 36.82, "AF"),
    ("Mombasa", "KE", -4.04, 39.67, "AF"),
    ("Addis Ababa", "ET", 9.03, 38.74, "AF"),
    ("Kampala", "UG", 0.35, 32.58, "AF"),
    ("Dar es Salaam", "TZ", -6.79, 39.21, "AF"),
    ("Kinshasa", "CD", -4.44, 15.27, "AF"),
    ("Luanda", "AO", -8.84, 13.23, "AF"),
    ("Johannesburg", "ZA", -26.20, 28.05, "AF"),
    ("Cape Town", "ZA", -33.92, 18.42, "AF"),
    ("Durban", "ZA", -29.86, 31.02, "AF"),
    ("Harare", "ZW", -17.83, 31.05, "AF"),
    ("Lusaka", "ZM", -15.39, 28.32, "AF"),
    ("Dubai", "AE", 25.20, 55.27, "AS"),
    ("Riyadh", "SA", 24.71, 46.68, "AS"),
    ("Jeddah", "SA", 21.49, 39.19, "AS"),
    ("Doha", "QA", 25.29, 51.53, "AS"),
    ("Tel Aviv", "IL", 32.09, 34.78, "AS"),
    ("Tehran", "IR", 35.69, 51.39, "AS"),
    ("Karachi", "PK", 24.86, 67.01, "AS"),
    ("Lahore", "PK", 31.55, 74.34, "AS"),
    ("Mumbai", "IN", 19.08, 72.88, "AS"),
    ("Delhi", "IN", 28.70, 77.10, "AS"),
    ("Bangalore", "IN", 12.97, 77.59, "AS"),
    ("Chennai", "IN", 13.08, 80.27, "AS"),
    ("Kolkata", "IN", 22.57, 88.36, "AS"),
    ("Hyderabad", "IN", 17.39, 78.49, "AS"),
    ("Dhaka", "BD", 23.81, 90.41, "AS"),
    ("Colombo", "LK", 6.93, 79.86, "AS"),
    ("Kathmandu", "NP", 27.72, 85.32, "AS"),
    ("Bangkok", "TH", 13.76, 100.50, "AS"),
    ("Kuala Lumpur", "MY", 3.14, 101.69, "AS"),
    ("Singapore", "SG", 1.35, 103.82, "AS"),
    ("Jakarta", "ID", -6.21, 106.85, "AS"),
    ("Surabaya", "ID", -7.25, 112.75, "AS"),
    ("Manila", "PH", 14.60, 120.98, "AS"),
    ("Ho Chi Minh City", "VN", 10.82, 106.63, "AS"),
    ("Hanoi", "VN", 21.03, 105.85, "AS"),
    ("Hong Kong", "HK", 22.32, 114.17, "AS"),
    ("Taipei", "TW", 25.03, 121.57, "AS"),
    ("Shanghai", "CN", 31.23, 121.47, "AS"),
    ("Beijing", "CN", 39.90, 116.41, "AS"),
    ("Guangzhou", "CN", 23.13, 113.26, "AS"),
    ("Chengdu", "CN", 30.57, 104.07, "AS"),
    ("Seoul", "KR", 37.57, 126.98, "AS"),
    ("Busan", "KR", 35.18, 129.08, "AS"),
    ("Tokyo", "JP", 35.68, 139.69, "AS"),
    ("Osaka", "JP", 34.69, 135.50, "AS"),
    ("Almaty", "KZ", 43.24, 76.89, "AS"),
    ("Tashkent", "UZ", 41.30, 69.24, "AS"),
    ("Novosibirsk", "RU", 55.01, 82.93, "AS"),
    ("Vladivostok", "RU", 43.12, 131.89, "AS"),
    ("Sydney", "AU", -33.87, 151.21, "OC"),
    ("Melbourne", "AU", -37.81, 144.96, "OC"),
    ("Brisbane", "AU", -27.47, 153.03, "OC"),
    ("Perth", "AU", -31.95, 115.86, "OC"),
    ("Adelaide", "AU", -34.93, 138.60, "OC"),
    ("Auckland", "NZ", -36.85, 174.76, "OC"),
    ("Wellington", "NZ", -41.29, 174.78, "OC"),
    ("Suva", "FJ", -18.12, 178.44, "OC"),
    ("Port Moresby", "PG", -9.44, 147.18, "OC"),
    ("Honolulu", "US", 21.31, -157.86, "OC"),
    ("Anchorage", "US", 61.22, -149.90, "NA"),
    ("Reykjavik", "IS", 64.15, -21.94, "EU"),
]


@dataclass(frozen=True, slots=True)
class Client:
    name: str
    city: str
    lat: float
    lon: float
    prefix: str                  # the client's /24 in the synthetic networks table
    true_rtt: dict[str, float]   # region -> true RTT (ms)


def _town(rng: random.Random, clat: float, clon: float) -> tuple[float, float]:
    """A town 20-300 km from its city, in a random direction."""
    bearing, km = rng.uniform(0, 2 * math.pi), rng.uniform(20, 300)
    lat = max(-89.0, min(89.0, clat + km / 111.0 * math.cos(bearing)))
    lon = ((clon + km / (111.0 * max(0.2, math.cos(math.radians(clat)))) * math.sin(bearing))
           + 180) % 360 - 180
    return lat, lon


def _graph(rng: random.Random) -> dict[str, list[tuple[str, float]]]:
    """One-way delay (ms) per link: great circle x a per-link inflation, + China's border."""
    graph: dict[str, list[tuple[str, float]]] = {h: [] for h in HUBS}
    for link in LINKS.split():
        a, b = link.split("-")
        (la, lo, area_a), (lb, lob, area_b) = HUBS[a], HUBS[b]
        ms = distance_km(la, lo, lb, lob) * rng.uniform(1.05, 1.6) / FIBRE_KM_PER_MS
        if (area_a == "CN") != (area_b == "CN"):
            ms += 9.0  # the border's filtering and congestion, each way
        graph[a].append((b, ms))
        graph[b].append((a, ms))
    return graph


def _dijkstra(graph: dict[str, list[tuple[str, float]]], source: str) -> dict[str, float]:
    dist = {source: 0.0}
    heap = [(0.0, source)]
    while heap:
        d, hub = heapq.heappop(heap)
        if d > dist[hub]:
            continue
        for nxt, w in graph[hub]:
            if d + w < dist.get(nxt, math.inf):
                dist[nxt] = d + w
                heapq.heappush(heap, (d + w, nxt))
    return dist


def build_world(seed: int = 7, towns_per_city: int = 3, *, detour_share: float = 0.15,
                isp_spread: bool = True) -> list[Client]:
    rng = random.Random(seed)
    graph = _graph(rng)
    from_region = {name: _dijkstra(graph, hub) for name, (_, _, hub) in REGIONS.items()}
    clients: list[Client] = []
    for city, cc, clat, clon, continent in CITIES:
        area = AREA_OF_COUNTRY.get(cc, continent)
        # the city's dominant ISPs reach some regions through a distant exchange: shared by its towns
        detour = {r: rng.uniform(5, 25) if rng.random() < detour_share else 0.0 for r in REGIONS}
        for town in range(towns_per_city + 1):
            lat, lon = _town(rng, clat, clon) if town else (clat, clon)
            by_km = sorted((distance_km(lat, lon, HUBS[h][0], HUBS[h][1]), h)
                           for h, (_, _, a) in HUBS.items() if a == area)
            local = [h for km, h in by_km if km <= by_km[0][0] * 2 + 600][:3]
            # the ISP's upstream: usually the nearest hub, sometimes the next ones; some are multi-homed
            upstreams = [rng.choices(local, weights=[0.6, 0.3, 0.1][:len(local)])[0] if isp_spread
                         else local[0]]
            if isp_spread and rng.random() < 0.4 and len(local) > 1:
                upstreams.append(local[0] if upstreams[0] != local[0] else local[1])
            access = {h: distance_km(lat, lon, HUBS[h][0], HUBS[h][1]) * 1.5 / FIBRE_KM_PER_MS
                      for h in upstreams}
            last_mile = rng.lognormvariate(math.log(3.0), 0.6)
            true = {}
            for region, (rlat, rlon, hub) in REGIONS.items():
                one_way = min(access[h] + from_region[region][h] for h in upstreams)
                one_way += distance_km(rlat, rlon, HUBS[hub][0], HUBS[hub][1]) * 1.2 / FIBRE_KM_PER_MS
                true[region] = round(2 * one_way + last_mile + 1.0 + detour[region]
                                     + max(-2.0, rng.gauss(0, 1.5)), 2)
            i = len(clients)
            clients.append(Client(f"{city}#{town}", city, round(lat, 4), round(lon, 4),
                                  f"10.{i >> 8}.{i & 255}.0/24", true))
    return clients


def sample(rtt: float, rng: random.Random) -> float:
    """One measurement: queueing noise, and now and then a congested outlier."""
    value = rtt + abs(rng.gauss(0, 1.5))
    if rng.random() < 0.05:
        value *= rng.uniform(1.5, 3.0)
    return round(value, 2)


def build_inflation_world(seed: int = 7, towns_per_city: int = 3) -> list[Client]:
    """A second, differently built world: RTT = great circle x an inflation drawn per
    (country, region) in [1.2, 2.6], plus last mile and noise. No hubs at all, so a model
    tuned to the hub world gets no free ride here."""
    rng = random.Random(seed)
    inflation: dict[tuple[str, str], float] = {}
    clients: list[Client] = []
    for city, cc, clat, clon, _ in CITIES:
        for town in range(towns_per_city + 1):
            lat, lon = _town(rng, clat, clon) if town else (clat, clon)
            last_mile = rng.lognormvariate(math.log(3.0), 0.6)
            true = {}
            for region, (rlat, rlon, _) in REGIONS.items():
                factor = inflation.setdefault((cc, region), rng.uniform(1.2, 2.6))
                km = distance_km(lat, lon, rlat, rlon)
                true[region] = round(2 * km * factor / FIBRE_KM_PER_MS + last_mile + 1.0
                                     + max(-2.0, rng.gauss(0, 1.5)), 2)
            i = len(clients)
            clients.append(Client(f"{city}#{town}", city, round(lat, 4), round(lon, 4),
                                  f"10.{i >> 8}.{i & 255}.0/24", true))
    return clients


# Large exchange points where transit providers hand traffic over. A country's transit
# provider hauls its traffic to one of these per destination, not to the nearest region.
EXCHANGES: dict[str, tuple[float, float]] = {
    "Ashburn": (39.04, -77.49), "New York": (40.71, -74.0), "Miami": (25.76, -80.19),
    "Chicago": (41.88, -87.63), "Dallas": (32.78, -96.8), "Los Angeles": (34.05, -118.24),
    "San Jose": (37.34, -121.89), "Seattle": (47.61, -122.33), "Sao Paulo": (-23.55, -46.63),
    "Fortaleza": (-3.73, -38.52), "Santiago": (-33.45, -70.67), "Bogota": (4.71, -74.07),
    "London": (51.5, -0.13), "Amsterdam": (52.37, 4.9), "Frankfurt": (50.11, 8.68),
    "Paris": (48.86, 2.35), "Marseille": (43.3, 5.37), "Stockholm": (59.33, 18.07),
    "Madrid": (40.42, -3.7), "Moscow": (55.76, 37.62), "Istanbul": (41.0, 28.97),
    "Johannesburg": (-26.2, 28.05), "Lagos": (6.52, 3.38), "Nairobi": (-1.29, 36.82),
    "Cairo": (30.04, 31.24), "Dubai": (25.2, 55.27), "Mumbai": (19.08, 72.88),
    "Chennai": (13.08, 80.27), "Singapore": (1.35, 103.82), "Hong Kong": (22.32, 114.17),
    "Tokyo": (35.68, 139.69), "Seoul": (37.57, 126.98), "Sydney": (-33.87, 151.21),
}

def _continent(lat: float, lon: float) -> str:
    """Where a destination region sits, for per-destination routing policies."""
    if lon < -30:
        return "AM"
    if lon < 60 and lat > 35:
        return "EU"
    if lon < 60:
        return "AFME"
    return "AP"


def build_policy_world(seed: int = 7, towns_per_city: int = 3) -> list[Client]:
    """A third world, built from how transit works rather than around any estimator.

    The map is cut into transit domains: ~30 centres drawn among the cities, each country
    (each city in a country wider than 1500 km) belongs to the nearest centre, so a domain
    spans a few countries, ~500-3000 km. Per destination continent, a domain hauls its
    traffic to one exchange: usually one of the nearest, sometimes a distant cheap one
    (whole countries share that detour). The RTT is access (client to exchange, inflated
    per domain) + backbone (exchange to region, inflated per exchange and region) + the
    domain's peering penalty + the region's front door + a per-(city, region) wobble +
    the client's last mile + noise.
    """
    rng = random.Random(seed * 7919 + 3)
    by_country: dict[str, list[tuple[float, float]]] = {}
    for _, cc, lat, lon, _ in CITIES:
        by_country.setdefault(cc, []).append((lat, lon))
    centres = [(c[2], c[3]) for c in rng.sample(CITIES, 30)]

    def domain_of(lat: float, lon: float) -> int:
        return min(range(len(centres)), key=lambda i: distance_km(lat, lon, *centres[i]))

    def spread(points: list[tuple[float, float]]) -> float:
        return max(distance_km(*p, *q) for p in points for q in points)

    country_domain = {cc: domain_of(statistics.fmean(p[0] for p in pts), statistics.fmean(p[1] for p in pts))
                      for cc, pts in by_country.items()}
    wide = {cc for cc, pts in by_country.items() if spread(pts) > 1500}
    continents = ("AM", "EU", "AFME", "AP")
    policy: dict[tuple[int, str], str] = {}
    for d, (dlat, dlon) in enumerate(centres):
        by_km = sorted((distance_km(dlat, dlon, *xy), name) for name, xy in EXCHANGES.items())
        for cont in continents:
            if rng.random() < 0.15:   # a cheap transit deal through a distant exchange
                policy[(d, cont)] = rng.choice(by_km[3:12])[1]
            else:
                policy[(d, cont)] = rng.choices([n for _, n in by_km[:3]], weights=[0.6, 0.3, 0.1])[0]
    access_inflation = {d: rng.uniform(1.2, 2.0) for d in range(len(centres))}
    peering = {d: rng.expovariate(1 / 6.0) for d in range(len(centres))}
    backbone = {(x, r): rng.uniform(1.1, 1.5) for x in EXCHANGES for r in REGIONS}
    front_door = {r: rng.uniform(0.5, 3.0) for r in REGIONS}
    clients: list[Client] = []
    for city, cc, clat, clon, _ in CITIES:
        wobble = {r: rng.gauss(0, 2.0) for r in REGIONS}
        for town in range(towns_per_city + 1):
            lat, lon = _town(rng, clat, clon) if town else (clat, clon)
            d = domain_of(lat, lon) if cc in wide else country_domain[cc]
            last_mile = rng.lognormvariate(math.log(3.0), 0.6)
            true = {}
            for region, (rlat, rlon, _) in REGIONS.items():
                exchange = policy[(d, _continent(rlat, rlon))]
                xlat, xlon = EXCHANGES[exchange]
                km = (distance_km(lat, lon, xlat, xlon) * access_inflation[d]
                      + distance_km(xlat, xlon, rlat, rlon) * backbone[(exchange, region)])
                true[region] = round(2 * km / FIBRE_KM_PER_MS + peering[d] + front_door[region]
                                     + wobble[region] + last_mile + max(-2.0, rng.gauss(0, 1.5)), 2)
            i = len(clients)
            clients.append(Client(f"{city}#{town}", city, round(lat, 4), round(lon, 4),
                                  f"10.{i >> 8}.{i & 255}.0/24", true))
    return clients

